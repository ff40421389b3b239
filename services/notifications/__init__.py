"""Messages to people: in-app notifications, stored with a kind and parameters and written
out in the reader's language when shown, and their email and SMS deliveries through
pluggable backends. Other apps send through `actions.notify`."""
