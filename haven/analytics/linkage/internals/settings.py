"""Splink model specifications: the Korean-aware model and a generic baseline.

Each settings object says which derived columns it compares (see :mod:`.prepare`), how (Splink
comparisons and their levels, in decreasing order of agreement), which blocking rules generate
candidate pairs, and how to train: deterministic rules for the prior, and EM training blocking rules.

**Korean settings.** Names are compared through keys, never as written, so Hangul in either
orthography and every romanization of one name agree:

* ``surname``: same canonical surname id, with term-frequency adjustment (Kim is about 21 % of people,
  so agreeing on Kim is weak evidence, agreeing on Namgung strong); else overlapping candidate ids or
  a shared full key under another reading (Chin = 진 or 신; "Ri Sol Ju" read in western order); else
  disagreement.
* ``given_name``: the same Hangul given name (term-frequency adjusted on the jamo string: the phonetic
  key merges 선주 and 순조, Hangul does not); else, when both records have Hangul that differs by more
  than one slip, disagreement on its own level ("given names differ in Hangul") whatever the keys say;
  else the same phonetic key (term-frequency adjusted); else a shared alternative key or full key
  (joined romanizations such as "Jongun" have several segmentations); else "one slip apart": the keys
  are one typing slip apart (Jaro-Winkler >= 0.92, a shared ``given_slips`` string, or a jamo-level
  Levenshtein distance <= 1 between Hangul spellings) AND one of the two keys is held by no other record
  (``given_key_unique``): a slip makes a spelling nobody else uses, while two real names one letter
  apart are each spelled alike by others (on seed 1 at 100k, slip pairs with a singular key are 37 times
  likelier to be one person than chance, those between two shared keys 5 times less); else "similar":
  one slip apart between two shared keys, or Jaro-Winkler >= 0.8; else disagreement. The level numbers
  (6 to 0) are those the review screens label (``haven.linkage.evidence``).
* ``romanization``: only for a pair with the same given-name key where one record has the given name in
  Hangul and the other only romanized: whether the romanization can spell the Hangul name's vowels
  (:func:`haven.analytics.korean.given_name_vowels`: "Sun-hee" can be 선희, 순희 or 슨희, "Seon-hui" only
  선희). The key merges ㅓㅗㅜㅡ, so 선희 and "Son-hui" (손희) share it; the level tells such namesakes apart.
  Null for every other pair, so it refines the "same given-name key" level without touching the others.
* ``birth_year``: exact (term-frequency adjusted), within 1, 2, 5 years (refugees' birth years are
  often guessed from an age).
* ``sex``: agree / disagree. Its u is the agreement rate among pairs that share a given name (about
  0.95), not among random pairs (0.59): a given name mostly implies the sex, and with the random-pair
  u every name-agreeing pair gained 0.7 bits twice over, which made the model overconfident.
* ``list`` (several lists only): same list / different lists, a prior by list. Lists record a person
  twice far less often than two lists share one, so a within-list pair needs stronger agreement.
* ``origin``: same county; same province with one county unknown; same province, different county;
  different province (place text normalised to gazetteer codes by
  :func:`haven.analytics.korean.normalize_place`). The first two levels are term-frequency adjusted:
  over half of refugees come from North Hamgyong, so sharing it says little, sharing Kangwon much.
* ``exit_year``: exact (term-frequency adjusted), within 1, within 3 years.

Blocking generates pairs that share a name key and one more field (birth years within 2, county, exit
year), or a rare name key alone (``rare_keys``: held by at most 20 records, see :mod:`.prepare`), or the
surname and one end of the given-name key (``given_ends``: a typing slip changes one end) with two more
fields, or the surname and a ``given_slips`` string with one more field (a singular given-name key
and the keys one slip from it, see :mod:`.prepare`), or a surname or given name with two or three other
fields (typing errors), or four non-name fields.

**Generic baseline.** What a careful generic Splink set-up would do without Korean knowledge: the
romanized name string (case-folded, punctuation removed) compared exactly and with Jaro-Winkler /
Levenshtein levels, the Hangul string exactly or within one edit, birth year exact, sex, the place text
exactly or with Jaro-Winkler, exit year exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

__all__ = ["GenericSettings", "KoreanSettings", "LinkageSettings"]

LinkType = Literal["link_and_dedupe", "dedupe_only"]


@dataclass(frozen=True)
class _Base:
    """Training controls shared by both models.

    Attributes:
        recall: Initial guess of the deterministic rules' recall, used for a first estimate of the prior
            probability that two random records match (Splink's
            ``estimate_probability_two_random_records_match``); after EM the prior is estimated again
            with the recall the trained m probabilities imply.
        u_max_pairs: Random pairs sampled to estimate u probabilities.
        em_max_pairs: Maximum blocked pairs per EM training run (deterministic hash sample above it).
    """

    recall: float = 0.7
    u_max_pairs: float = 3e6
    em_max_pairs: float = 2e6

    name = "base"
    needs_raw_text = False

    def comparisons(self, link_type: LinkType = "link_and_dedupe") -> list[ComparisonCreator]:
        """Return the Splink comparisons (some only make sense when several lists are linked)."""
        raise NotImplementedError

    def blocking_rules(self) -> list[BlockingRuleCreator]:
        raise NotImplementedError

    def training_rules(self) -> list[BlockingRuleCreator]:
        raise NotImplementedError

    def deterministic_rules(self) -> list[BlockingRuleCreator]:
        """Return rules whose pairs are almost all matches (for the prior)."""
        raise NotImplementedError

    def deterministic_comparisons(self) -> tuple[str, ...]:
        """Return the comparisons whose best level the deterministic rules require.

        The rules' recall among true matches is then the product of those levels' m probabilities
        (conditional independence), which lets training re-estimate the prior once m is known instead
        of relying on the assumed ``recall``.
        """
        raise NotImplementedError

    def deterministic_columns(self) -> tuple[str, ...]:
        """Return the columns that must be present for the deterministic rules to fire.

        Splink's m probabilities are conditional on both values being present, so the rules' recall is
        also multiplied by the chance that a pair has all of these (estimated from the records).
        """
        raise NotImplementedError

    def columns(self) -> tuple[str, ...]:
        """Return the prepared columns this model reads."""
        raise NotImplementedError

    def conditional_u(self) -> dict[str, str]:
        """Return two-level comparisons whose u is taken among pairs agreeing on another column.

        Maps a comparison to that column. Fellegi-Sunter multiplies the comparisons' Bayes factors as
        if they were independent; when one field nearly implies another (a given name implies the
        sex), agreeing on the second adds almost nothing to agreeing on the first, and its u must be
        the agreement rate among pairs that agree on the first, not among random pairs.
        """
        return {}

    def splink_settings(self, link_type: LinkType, *, retain_gammas: bool = False) -> SettingsCreator:
        """Return the untrained Splink settings.

        Args:
            link_type: "link_and_dedupe" for several sources, "dedupe_only" for one.
            retain_gammas: Keep the per-comparison agreement levels (gamma columns) in predictions.
        """
        return SettingsCreator(
            link_type=link_type,
            unique_id_column_name="unique_id",
            comparisons=self.comparisons(link_type),
            blocking_rules_to_generate_predictions=self.blocking_rules(),
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=retain_gammas,
        )


def _year_comparison(
    column: str, label: str, tolerances: tuple[int, ...], *, term_frequencies: bool = False
) -> ComparisonCreator:
    exact = cll.ExactMatchLevel(column)
    if term_frequencies:
        exact = exact.configure(tf_adjustment_column=column)
    levels: list[cll.ComparisonLevelCreator] = [cll.NullLevel(column), exact]
    levels += [cll.AbsoluteDifferenceLevel(column, t) for t in tolerances]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=label)


def _sex() -> ComparisonCreator:
    return cl.CustomComparison(
        comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()],
        output_column_name="sex",
    )


def _same_list() -> ComparisonCreator:
    # A list records a person twice far less often than two lists share one: with four lists, 8 % of
    # the pairs of records that are one person lie within a list, against 31 % of all pairs. The level
    # is a prior by list, trained like any comparison (u from random pairs, m by EM), so two records of
    # one list need stronger agreement than two records of different lists.
    return cl.CustomComparison(
        output_column_name="list",
        comparison_levels=[
            cll.ExactMatchLevel("source").configure(label_for_charts="same list"),
            cll.ElseLevel().configure(label_for_charts="different lists"),
        ],
    )


@dataclass(frozen=True)
class KoreanSettings(_Base):
    """Splink model on Korean name keys and normalised places (see the module docstring)."""

    name = "korean"
    needs_raw_text = False

    def columns(self) -> tuple[str, ...]:
        return (
            "surname_id", "surname_ids", "given_key", "given_keys", "full_key", "full_keys", "given_jamo",
            "birth_year", "sex", "province", "county", "exit_year", "birth_bin_a", "birth_bin_b", "rare_keys",
            "source", "given_ends", "given_slips", "given_key_unique", "given_vowels", "given_vowel_options",
        )  # fmt: skip

    def conditional_u(self) -> dict[str, str]:
        # Given names are mostly female or male: among random pairs 59 % agree on sex, among pairs that
        # share a given name nearly all do, and nearly every scored pair shares one.
        return {"sex": "given_key"}

    def comparisons(self, link_type: LinkType = "link_and_dedupe") -> list[ComparisonCreator]:
        surname = cl.CustomComparison(
            output_column_name="surname",
            comparison_levels=[
                cll.NullLevel("surname_id"),
                cll.ExactMatchLevel("surname_id").configure(
                    tf_adjustment_column="surname_id", label_for_charts="same surname"
                ),
                cll.Or(
                    cll.ArrayIntersectLevel("surname_ids"), cll.ArrayIntersectLevel("full_keys")
                ).configure(label_for_charts="surname readings overlap"),
                cll.ElseLevel(),
            ],
        )

        def one_slip() -> cll.ComparisonLevelCreator:
            return cll.Or(
                cll.JaroWinklerLevel("given_key", 0.92),
                cll.ArrayIntersectLevel("given_slips"),
                cll.And(cll.Not(cll.NullLevel("given_jamo")), cll.LevenshteinLevel("given_jamo", 1)),
            )

        given = cl.CustomComparison(
            output_column_name="given_name",
            comparison_levels=[
                cll.NullLevel("given_key"),
                # Hangul is more faithful than the phonetic key (선희, 순희 and 손희 share "son-hi"), so two
                # Hangul spellings that agree weigh by how common that Hangul name is, and two that
                # differ by more than one slip are not rescued by a shared key.
                cll.ExactMatchLevel("given_jamo").configure(
                    tf_adjustment_column="given_jamo", label_for_charts="same given name in Hangul"
                ),
                cll.And(
                    cll.Not(cll.NullLevel("given_jamo")), cll.Not(cll.LevenshteinLevel("given_jamo", 1))
                ).configure(label_for_charts="given names differ in Hangul"),
                cll.ExactMatchLevel("given_key").configure(
                    tf_adjustment_column="given_key", label_for_charts="same given-name key"
                ),
                cll.Or(cll.ArrayIntersectLevel("given_keys"), cll.ArrayIntersectLevel("full_keys")).configure(
                    label_for_charts="another reading agrees"
                ),
                # A slip makes a spelling no other record uses; two real names one letter apart are
                # each spelled alike by others, so only a singular key makes "one slip" evidence.
                cll.And(one_slip(), cll.CustomLevel("given_key_unique_l OR given_key_unique_r")).configure(
                    label_for_charts="one slip apart"
                ),
                cll.Or(one_slip(), cll.JaroWinklerLevel("given_key", 0.8)).configure(
                    label_for_charts="similar"
                ),
                cll.ElseLevel(),
            ],
        )
        # A romanization against Hangul (see the module docstring). The null level leaves out every pair
        # this does not apply to, so the comparison adds evidence only to pairs sharing a given-name key.
        romanization = cl.CustomComparison(
            output_column_name="romanization",
            comparison_levels=[
                cll.CustomLevel(
                    "given_key_l IS NULL OR given_key_r IS NULL OR given_key_l <> given_key_r OR NOT ("
                    "(given_vowels_l IS NOT NULL AND given_vowel_options_r IS NOT NULL)"
                    " OR (given_vowels_r IS NOT NULL AND given_vowel_options_l IS NOT NULL))"
                ).configure(is_null_level=True, label_for_charts="not a romanization against Hangul"),
                cll.CustomLevel(
                    "array_contains(given_vowel_options_r, given_vowels_l)"
                    " OR array_contains(given_vowel_options_l, given_vowels_r)"
                ).configure(label_for_charts="the romanization can spell the Hangul"),
                cll.ElseLevel().configure(label_for_charts="the romanization cannot spell the Hangul"),
            ],
        )
        # Places of origin are very unevenly spread (over half of refugees come from North Hamgyong), so
        # agreeing on a county or province is weighted by how common it is, like a surname.
        origin = cl.CustomComparison(
            output_column_name="origin",
            comparison_levels=[
                cll.NullLevel("province"),
                cll.ExactMatchLevel("county").configure(
                    label_for_charts="same county", tf_adjustment_column="county"
                ),
                cll.And(cll.ExactMatchLevel("province"), cll.NullLevel("county")).configure(
                    label_for_charts="same province, county unknown", tf_adjustment_column="province"
                ),
                cll.ExactMatchLevel("province").configure(label_for_charts="same province"),
                cll.ElseLevel(),
            ],
        )
        comparisons = [
            surname,
            given,
            romanization,
            # Birth and exit years bunch (late 1970s; 1998-2012): sharing a common year says less.
            _year_comparison("birth_year", "birth_year", (1, 2, 5), term_frequencies=True),
            _sex(),
            origin,
            _year_comparison("exit_year", "exit_year", (1, 3), term_frequencies=True),
        ]
        if link_type == "link_and_dedupe":
            comparisons.append(_same_list())
        return comparisons

    def blocking_rules(self) -> list[BlockingRuleCreator]:
        explode, ends = ["full_keys"], ["given_ends"]
        return [
            # Any reading of the name, with birth years at most 2 apart (two offset 4-year bins) ...
            block_on("full_keys", "birth_bin_a", arrays_to_explode=explode),
            block_on("full_keys", "birth_bin_b", arrays_to_explode=explode),
            # ... or when the birth year is missing or wrong: the same county, or the same exit year.
            block_on("full_keys", "county", arrays_to_explode=explode),
            block_on("full_keys", "exit_year", arrays_to_explode=explode),
            # ... or, for a name held by few records, on the name alone (every other field missing).
            block_on("rare_keys", arrays_to_explode=["rare_keys"]),
            # Given name mistyped: one end of its key, the surname and two more fields.
            block_on("surname_id", "given_ends", "birth_year", "county", arrays_to_explode=ends),
            block_on("surname_id", "given_ends", "county", "exit_year", arrays_to_explode=ends),
            block_on("surname_id", "given_ends", "birth_bin_a", "exit_year", arrays_to_explode=ends),
            block_on("surname_id", "given_ends", "birth_bin_b", "exit_year", arrays_to_explode=ends),
            # Given name mistyped: a key no other record holds and the keys one slip from it (given_slips),
            # the surname and one more field. Only the singular key carries its neighbours, so this adds
            # few pairs beyond those of records sharing a key (0.35 M at 100k against 1.3 M for the rest).
            block_on("surname_id", "given_slips", "birth_bin_a", arrays_to_explode=["given_slips"]),
            block_on("surname_id", "given_slips", "birth_bin_b", arrays_to_explode=["given_slips"]),
            block_on("surname_id", "given_slips", "county", arrays_to_explode=["given_slips"]),
            block_on("surname_id", "given_slips", "exit_year", arrays_to_explode=["given_slips"]),
            # Surname misread or mistyped; given name mistyped.
            block_on("given_key", "birth_year", "county"),
            block_on("given_key", "birth_year", "exit_year"),
            block_on("given_key", "county", "exit_year"),
            block_on("surname_id", "birth_year", "county", "exit_year"),
            block_on("surname_id", "sex", "birth_year", "exit_year"),
            # No usable name at all.
            block_on("birth_year", "sex", "county", "exit_year"),
        ]

    def training_rules(self) -> list[BlockingRuleCreator]:
        # Each EM run estimates m for the comparisons not in its rule, so together they cover all. The
        # name is always combined with two more fields: with Korean names, blocks on a name and one field
        # are full of namesakes, and EM then mistakes namesakes for the same person. The name is named by
        # its parts (surname_id, given_key), not by full_key (their concatenation): Splink leaves out of a
        # run only the comparisons whose columns the rule names, and with full_key it "trained" surname
        # and given name on pairs that agree on both by construction (m = 1 for the exact levels).
        return [
            block_on("surname_id", "given_key", "birth_year", "county"),  # sex, exit year
            block_on("surname_id", "given_key", "county", "exit_year"),  # birth year, sex
            block_on("surname_id", "given_key", "birth_year", "exit_year"),  # origin, sex
            block_on("birth_year", "county", "exit_year"),  # surname, given name, sex
        ]

    def deterministic_rules(self) -> list[BlockingRuleCreator]:
        return [block_on("full_key", "birth_year", "county", "exit_year")]

    def deterministic_comparisons(self) -> tuple[str, ...]:
        return ("surname", "given_name", "birth_year", "origin", "exit_year")

    def deterministic_columns(self) -> tuple[str, ...]:
        return ("full_key", "birth_year", "province", "exit_year")


@dataclass(frozen=True)
class GenericSettings(_Base):
    """Baseline Splink model on raw text, without Korean keys (for comparison only)."""

    name = "generic"
    needs_raw_text = True

    def columns(self) -> tuple[str, ...]:
        return ("name_text", "hangul_text", "origin_text", "birth_year", "sex", "exit_year")

    def comparisons(self, link_type: LinkType = "link_and_dedupe") -> list[ComparisonCreator]:
        name = cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                cll.NullLevel("name_text"),
                cll.ExactMatchLevel("name_text").configure(tf_adjustment_column="name_text"),
                cll.JaroWinklerLevel("name_text", 0.92),
                cll.LevenshteinLevel("name_text", 2),
                cll.JaroWinklerLevel("name_text", 0.8),
                cll.ElseLevel(),
            ],
        )
        hangul = cl.CustomComparison(
            output_column_name="hangul",
            comparison_levels=[
                cll.NullLevel("hangul_text"),
                cll.ExactMatchLevel("hangul_text"),
                cll.LevenshteinLevel("hangul_text", 1),
                cll.ElseLevel(),
            ],
        )
        origin = cl.CustomComparison(
            output_column_name="origin",
            comparison_levels=[
                cll.NullLevel("origin_text"),
                cll.ExactMatchLevel("origin_text"),
                cll.JaroWinklerLevel("origin_text", 0.9),
                cll.ElseLevel(),
            ],
        )
        return [
            name,
            hangul,
            _year_comparison("birth_year", "birth_year", ()),
            _sex(),
            origin,
            _year_comparison("exit_year", "exit_year", ()),
        ]

    def blocking_rules(self) -> list[BlockingRuleCreator]:
        return [
            block_on("name_text"),
            block_on("hangul_text"),
            block_on("substr(name_text, 1, 4)", "birth_year"),
            block_on("substr(hangul_text, 1, 2)", "birth_year"),
            block_on("birth_year", "origin_text", "exit_year"),
        ]

    def training_rules(self) -> list[BlockingRuleCreator]:
        return [
            block_on("name_text"),  # everything but the name
            block_on("hangul_text"),  # everything but Hangul
            block_on("birth_year", "origin_text", "exit_year"),  # names, sex
        ]

    def deterministic_rules(self) -> list[BlockingRuleCreator]:
        return [block_on("name_text", "birth_year", "origin_text")]

    def deterministic_comparisons(self) -> tuple[str, ...]:
        return ("name", "birth_year", "origin")

    def deterministic_columns(self) -> tuple[str, ...]:
        return ("name_text", "birth_year", "origin_text")


#: Either model.
LinkageSettings = KoreanSettings | GenericSettings
