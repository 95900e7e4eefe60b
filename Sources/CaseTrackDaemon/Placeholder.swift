// Temporary: replaced as the module is written.
