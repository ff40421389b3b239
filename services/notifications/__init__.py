"""Messages to people. Today: in-app notifications, stored with a kind and parameters and
written out in the reader's language when shown. Other apps send through `actions.notify`."""
