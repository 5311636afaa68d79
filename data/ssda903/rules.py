"""The DfE's validation rules (placeholder)."""


def check_return(tables, year, problems) -> None:
    return None
