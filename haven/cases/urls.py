from __future__ import annotations

from django.urls import path

from haven.cases import views

app_name = "cases"
ref = "<str:reference>"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("due/", views.due_list, name="due"),
    path("statistics/", views.statistics, name="statistics"),
    path(f"{ref}/", views.case_detail, name="detail"),
    path(f"{ref}/details/", views.update_details, name="details"),
    path(f"{ref}/team/", views.assign, name="assign"),
    path(f"{ref}/status/", views.transition, name="transition"),
    path(f"{ref}/close/", views.close, name="close"),
    path(f"{ref}/reopen/", views.reopen, name="reopen"),
    path(f"{ref}/risk/", views.set_risk, name="risk"),
    path(f"{ref}/needs/", views.set_needs, name="needs"),
    path(f"{ref}/journey/", views.add_stage, name="add_stage"),
    path(f"{ref}/journey/<int:pk>/remove/", views.remove_stage, name="remove_stage"),
    path(f"{ref}/consent/", views.record_consent, name="consent"),
    path(f"{ref}/consent/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path(f"{ref}/referrals/", views.refer, name="refer"),
    path(f"{ref}/referrals/status/", views.referral_status, name="referral_status"),
    path(f"{ref}/services/", views.add_service, name="add_service"),
    path(f"{ref}/follow-ups/", views.add_followup, name="add_followup"),
    path(f"{ref}/follow-ups/close/", views.close_followup, name="close_followup"),
    path(f"{ref}/incidents/", views.add_incident, name="add_incident"),
    path(f"{ref}/incidents/<int:pk>/", views.incident_edit, name="incident"),
    path(f"{ref}/incidents/<int:pk>/payments/", views.add_payment, name="add_payment"),
    path(f"{ref}/incidents/<int:pk>/document/", views.document_incident, name="document_incident"),
]
