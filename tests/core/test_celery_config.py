from portal.celery import app


def test_celery_is_configured_for_at_least_once_delivery():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    # Longer than any task may take, so a running task is not handed to a second worker.
    assert conf.broker_transport_options["visibility_timeout"] >= 3600


def test_every_task_has_an_explicit_name_in_its_context():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours, "no tasks registered"
    for name in ours:
        context, _, verb = name.partition(".")
        assert (
            context
            in {"core", "accounts", "catalog", "applications", "casework", "records", "notifications", "analytics"}
            and verb
        ), name
