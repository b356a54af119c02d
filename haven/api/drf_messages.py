"""Django REST framework's own messages that API users meet, listed so that Haven's catalog translates them.

DRF ships a Korean catalog only as ``ko_KR``, which Django does not use for ``ko``; ``makemessages`` finds these
here and they are translated in haven/api/locale. Nothing imports this module: it only names the messages.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

MESSAGES = (
    _("Authentication credentials were not provided."),
    _("This field may not be null."),
    _("Must be a valid boolean."),
    _("Not a valid string."),
    _("This field may not be blank."),
    _("Ensure this field has no more than {max_length} characters."),
    _("Ensure this field has at least {min_length} characters."),
    _("A valid integer is required."),
    _("Ensure this value is less than or equal to {max_value}."),
    _("Ensure this value is greater than or equal to {min_value}."),
    _("String value too large."),
    _("Datetime has wrong format. Use one of these formats instead: {format}."),
    _('"{input}" is not a valid choice.'),
    _('Expected a list of items but got type "{input_type}".'),
    _("Ensure this field has at least {min_length} elements."),
    _("Ensure this field has no more than {max_length} elements."),
    _("Invalid data. Expected a dictionary, but got {datatype}."),
    _("Incorrect type. Expected pk value, received {data_type}."),
    _('Expected a dictionary of items but got type "{input_type}".'),
    _("Surrogate characters are not allowed: U+{code_point:X}."),
    _('Unsupported media type "{media_type}" in request.'),
    _('Method "{method}" not allowed.'),
)
