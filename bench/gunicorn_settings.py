"""Gunicorn settings of the benchmark servers: none beyond the command line.

Named explicitly so gunicorn does not pick up the deployment's ``gunicorn.conf.py``
(whose access log would be measured along with the application).
"""
