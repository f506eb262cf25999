{{ shared("yoi/tests/test_package.py") }}
