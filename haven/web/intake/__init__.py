"""The intake: a testimony entered in one guided form, saved as a draft as the documenter types.

- :mod:`.forms`: the form's parts (source, events, acts, involvements, the person pickers) and their
  conversion into :class:`haven.records.services.TestimonyInput`.
- :mod:`.drafts`: drafts kept encrypted, per user.
- :mod:`.typeahead`: the type-ahead behind the pickers (persons by any spelling of their name, places by
  any romanization, vocabulary terms in Korean and English), as small HTML fragments for htmx.
- :mod:`.views`: the pages and the htmx endpoints. Thin: writes go through haven.records.services.
"""
