{{ shared("tests/conftest.py") }}
