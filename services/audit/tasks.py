from celery import shared_task

from services.audit.checkpoints import checkpoint_write
from services.audit.retention import audit_prune
from services.audit.trail import audit_seal, chain_head


@shared_task(name="audit.seal", ignore_result=True)
def seal() -> int:
    return audit_seal()


@shared_task(name="audit.checkpoint", ignore_result=True)
def checkpoint() -> None:
    """Seal what is pending, then sign the head of the chain into a checkpoint file."""
    audit_seal()
    index, hash_ = chain_head()
    if index:
        checkpoint_write(index=index, hash_=hash_)


@shared_task(name="audit.prune", ignore_result=True)
def prune() -> int:
    return audit_prune()
