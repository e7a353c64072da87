from django.urls import path

from .views import auth, cohort, person, profile
from .views import programme_settings

urlpatterns = [
    path("", cohort.home, name="home"),
    path("sign-in/", auth.SignInView.as_view(), name="login"),
    path("sign-out/", auth.SignOutView.as_view(), name="logout"),
    path("cohort/", cohort.cohort, name="cohort"),
    path("profile/", profile.problem_profile, name="profile"),
    path("profile/charts/<slug:name>.svg", profile.chart, name="chart"),
    path("groups/<str:label>/", profile.group_detail, name="group"),
    path("people/<int:pk>/", person.person_detail, name="person"),
    path("people/<int:pk>/interventions/", person.add_intervention, name="add_intervention"),
    path("programmes/new/", programme_settings.programme_new, name="programme_new"),
    path("programmes/<int:pk>/settings/", programme_settings.programme_edit,
         name="programme_edit"),
]
