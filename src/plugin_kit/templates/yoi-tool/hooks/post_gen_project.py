{{ shared("yoi/post_gen_project.py") }}
