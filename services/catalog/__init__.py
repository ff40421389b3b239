"""The service catalogue (事项): services, their materials, form schemas, promised deadlines
and versioned workflow templates. Other apps read it through `selectors` and validate
answers through `schema.answers_clean`."""
