"""URLs: the pages (by role) and the JSON API under /api/v1."""

from __future__ import annotations

from django.urls import include, path, re_path

from . import api, views

app_name = "registry"

pages = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("language/", views.language, name="language"),
    path("n/<slug:slug>/", views.dashboard, name="dashboard"),
    path("n/<slug:slug>/streams/", views.stream_list, name="streams"),
    path("n/<slug:slug>/streams/new/", views.stream_form, name="stream_new"),
    path("n/<slug:slug>/stream/<path:stream_id>/edit/", views.stream_form, name="stream_edit"),
    path("n/<slug:slug>/stream/<path:stream_id>/delete/", views.stream_delete, name="stream_delete"),
    path("n/<slug:slug>/stream/<path:stream_id>/", views.stream_detail, name="stream"),
    path("n/<slug:slug>/upload/", views.upload, name="upload"),
    path("n/<slug:slug>/history/", views.history, name="history"),
    path("n/<slug:slug>/drafts/<int:draft_id>/submit/", views.submit_draft, name="submit_draft"),
    path("n/<slug:slug>/members/", views.member_list, name="members"),
    path("n/<slug:slug>/audit/", views.audit_log, name="audit"),
    path("n/<slug:slug>/export/", views.export, name="export"),
    path("n/<slug:slug>/import/", views.import_page, name="import"),
    path("n/<slug:slug>/matches/", views.match_list, name="matches"),
    path("n/<slug:slug>/matches/<int:run_id>/", views.match_detail, name="match"),
    path("n/<slug:slug>/matches/<int:run_id>/report/", views.match_report, name="report"),
    path("n/<slug:slug>/overview/", views.overview, name="overview"),
    path("n/<slug:slug>/compare/", views.compare, name="compare"),
    path("n/<slug:slug>/matches/<int:run_id>/publish/", views.publish, name="publish"),
    path("n/<slug:slug>/proposals/", views.proposal_list, name="proposals"),
    path("n/<slug:slug>/proposals/<int:proposal_id>/", views.proposal_detail, name="proposal"),
    path("n/<slug:slug>/proposals/<int:proposal_id>/answer/", views.proposal_answer, name="proposal_answer"),
    path("n/<slug:slug>/proposals/<int:proposal_id>/status/", views.proposal_status, name="proposal_status"),
    path("n/<slug:slug>/follow-up/", views.follow_up, name="follow_up"),
    path("n/<slug:slug>/inbox/", views.inbox, name="inbox"),
    path("n/<slug:slug>/impact/", views.impact, name="impact"),
    path("n/<slug:slug>/impact.csv", views.impact_export, {"kind": "csv"}, name="impact_csv"),
    path("n/<slug:slug>/impact.xlsx", views.impact_export, {"kind": "xlsx"}, name="impact_xlsx"),
    path("n/<slug:slug>/impact/report/", views.impact_report, name="impact_report"),
]

api_v1 = [
    path("token", api.token, name="api_token"),
    path("networks/<slug:slug>/members", api.members, name="api_members"),
    path("networks/<slug:slug>/streams", api.streams, name="api_streams"),
    path("networks/<slug:slug>/streams/<path:stream_id>", api.stream, name="api_stream"),
    path("networks/<slug:slug>/submissions", api.submissions, name="api_submissions"),
    path("networks/<slug:slug>/imports", api.imports, name="api_imports"),
    path("networks/<slug:slug>/matches", api.matches, name="api_matches"),
    path("networks/<slug:slug>/matches/<int:run_id>", api.match, name="api_match"),
    path("networks/<slug:slug>/matches/<int:run_id>/publish", api.publish, name="api_publish"),
    path("networks/<slug:slug>/proposals", api.proposal_list, name="api_proposals"),
    path("networks/<slug:slug>/proposals/<int:proposal_id>", api.proposal, name="api_proposal"),
    path("networks/<slug:slug>/proposals/<int:proposal_id>/answer", api.proposal_answer, name="api_answer"),
    path("networks/<slug:slug>/proposals/<int:proposal_id>/status", api.proposal_status, name="api_status"),
    path("networks/<slug:slug>/impact", api.impact, name="api_impact"),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "registry"), namespace="api")),
    path("", include((pages, "registry"), namespace="registry")),
]

handler404 = "registry.views.not_found"
handler403 = "registry.views.forbidden"
