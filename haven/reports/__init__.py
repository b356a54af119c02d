"""Reports (organisation report, transit-country brief, person dossier) and the reference-statistics charts."""
