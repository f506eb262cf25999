{{ shared("yoi/tests/yoi_runtime.py") }}
