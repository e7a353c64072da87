def pytest_configure(config):
    # WhiteNoise warns that STATIC_ROOT is missing: tests serve static files through the
    # finders (WHITENOISE_USE_FINDERS) and never run collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
