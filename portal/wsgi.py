import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# A wrong broker, file storage or replica setting stops the web node here, with the setting
# to fix, instead of failing (or quietly falling back) at the first request.
from services.core.startup import startup_check  # noqa: E402 - after Django is set up

startup_check(role="web node")
