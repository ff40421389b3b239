"""The citizen's side: a service's guide with what the wallet already holds, applying page
by page (drafts, consent, uploads) until casework takes the submission, and the citizen's
pages and API for following, correcting, withdrawing and rating their cases."""
