"""Readers of what Ofsted, the DfE and ONS publish: one module per publication, each returning tables in rcc's
own schema plus an issues table (file, row, column, value, rule, severity), like `rcc validate`."""
