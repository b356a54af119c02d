"""Haven's web pages for records (person, event, act, information, place) and the search at /search/.

Views are thin: records come through haven.records.access (permission-checked, audited, one 404 for
missing and forbidden); related rows and search results through haven.accounts.policy.visible; identifying
values through policy.masked. The search table (models.EventText) holds only normalized narrative text.
"""
