"""Once-only data and documents, and their protection: department registries and consented
fetches, verified attributes, the wallet and e-licences, the files citizens upload, the
evidence a case used, and the append-only log of every read of a citizen's data. It sits
below casework and applications: they hand it the draft or case a row belongs to."""
