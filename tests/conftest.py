def pytest_configure(config):
    # WhiteNoise warns that STATIC_ROOT is missing: tests serve static files through the
    # finders (WHITENOISE_USE_FINDERS) and never run collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    config.addinivalue_line(
        "markers", "shared_data(*paths): needs real data under ../shared (tests/shared_data.py)"
    )


def pytest_runtest_setup(item):
    from shared_data import check_present

    paths = [path for marker in item.iter_markers("shared_data") for path in marker.args]
    if paths:
        check_present(paths)
