from django.apps import AppConfig


class DeterConfig(AppConfig):
    name = "deter.web"
    label = "deter"
    verbose_name = "Deter"
