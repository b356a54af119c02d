from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.translation import gettext_lazy

from haven.lib import i18n
from haven.lib.models import choice_label
from haven.linkage.evidence import LEVELS, evidence_rows
from haven.records.models import Sex

TABLE = {"surname": gettext_lazy("same surname"), "sex": gettext_lazy("Sex")}


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    i18n.clear()
    yield
    i18n.clear()


def test_a_table_is_given_in_the_active_language_and_translated_once_per_language(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with translation.override("ko"):
        korean = i18n.translated(TABLE)
        assert korean == {"surname": "같은 성", "sex": "성별"}
    with translation.override("en"):
        english = i18n.translated(TABLE)
        assert english == {"surname": "same surname", "sex": "Sex"}

    def no_gettext(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("translated again")

    # What every gettext and lazy label goes through (django.utils.translation.gettext calls it).
    monkeypatch.setattr(translation._trans, "gettext", no_gettext)
    with pytest.raises(AssertionError, match="translated again"):
        str(TABLE["sex"])
    with translation.override("ko"):
        assert i18n.translated(TABLE) is korean
    with translation.override("en"):
        assert i18n.translated(TABLE) is english


def test_choice_labels_and_choice_label_follow_the_language() -> None:
    with translation.override("ko"):
        assert i18n.choice_labels(Sex)["F"] == str(Sex.FEMALE.label) != "Female"
        assert choice_label(Sex, "M") == str(Sex.MALE.label)
        assert choice_label(Sex, "not a choice") == "not a choice"
        assert choice_label(Sex, Sex.OTHER) == str(Sex.OTHER.label)
    with translation.override("en"):
        assert choice_label(Sex, "F") == "Female"


def test_the_evidence_words_are_those_of_gettext_in_both_languages() -> None:
    evidence = {"surname": [2, 3.1], "given_name": [-1, 0.0], "sex": [0, -2.0], "origin": [7, 1.0]}
    run_labels = {"surname": {}, "given_name": {}, "sex": {}, "origin": {"7": "engine label"}}
    for language in ("en", "ko"):
        with translation.override(language):
            rows = evidence_rows(evidence, run_labels)
            assert [(r.label, r.level) for r in rows] == [
                (str(gettext_lazy("Surname")), str(LEVELS["surname"][2])),
                (str(gettext_lazy("Given name")), str(gettext_lazy("not recorded in one or both"))),
                (str(gettext_lazy("Sex")), str(gettext_lazy("different"))),
                (str(gettext_lazy("Place of origin")), "engine label"),
            ]
            assert evidence_rows({"romanization": [-1, 0.0]}, {})[0].level == str(
                gettext_lazy(
                    "does not apply (not the same given-name key, or no romanized name beside a Hangul one)"
                )
            )
    with translation.override("ko"):
        assert evidence_rows(evidence, run_labels)[0].level == "같은 성"
        # A comparison no table knows: its own name, and the level's number when the run has no words for it.
        unknown = evidence_rows({"tattoo": [3, 0.0]}, {})[0]
        assert (unknown.label, unknown.level) == ("tattoo", "3")


def test_labels_translated_while_the_cache_was_emptied_are_not_kept() -> None:
    def translate_during_a_reload(table):  # type: ignore[no-untyped-def]
        i18n.clear()  # another thread: the development server dropped the catalogues meanwhile
        return {"sex": "stale"}

    assert i18n._once("table", TABLE, translate_during_a_reload) == {"sex": "stale"}
    with translation.override("en"):
        assert i18n.translated(TABLE)["sex"] == "Sex"


def test_a_settings_change_or_a_recompiled_catalogue_empties_the_cache(tmp_path: Path) -> None:
    with translation.override("ko"):
        first = i18n.translated(TABLE)
        file_changed.send(sender=None, file_path=tmp_path / "views.py")
        assert i18n.translated(TABLE) is first  # not a catalogue
        file_changed.send(sender=None, file_path=tmp_path / "django.mo")
    with translation.override("ko"):  # Django's own receiver dropped the active language with the catalogues
        second = i18n.translated(TABLE)
        assert second is not first and second == first
        with override_settings(LOCALE_PATHS=[tmp_path]):
            assert i18n.translated(TABLE) is not second
