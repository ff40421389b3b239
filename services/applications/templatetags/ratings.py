"""The rating panel of the case page (好差评): the form before a finished case is rated, the
rating and the department's follow-up after."""

from django import template

from services.applications.forms import RatingForm
from services.casework import ratings, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def rating_panel(context, application) -> dict | None:
    """What `applications/_rating.html` shows, or None when there is nothing to show (the
    case is still running and nothing was refused). A form with errors in the context (the
    rating view's `rating_form`) is shown again as it was sent."""
    error = context.get("rating_error")
    if not ratings.is_decided(application):
        return {"error": error} if error else None
    rating = selectors.rating_for_application(application=application)
    if rating is None:
        form = context.get("rating_form") or RatingForm()
        return {"form": form, "error": error, "error_links": form.error_links()}
    follow_up = getattr(rating, "follow_up", None)
    return {
        "rating": rating,
        "error": error,
        "score_label": ratings.score_label(rating.score),
        "tags": ratings.tag_labels(rating.tags),
        "follow_up": follow_up,
        "follow_up_overdue": follow_up is not None and selectors.follow_up_is_overdue(follow_up),
    }
