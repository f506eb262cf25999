{{ shared("tests/test_package.py") }}
