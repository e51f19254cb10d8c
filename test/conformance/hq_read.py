"""A small model of how CommCare HQ reads an uploaded .xlsx (its workbook_reading xlsx adapter, WorksheetWrapper and
do_import.py), run on the real openpyxl. The conformance tests hold the emulator and the node's checks to it.

Reads a JSON request on stdin, writes a JSON answer on stdout:
  {"files": [{"path": "...", "searchColumn": "external_id"}], "searchIds": [<cell values>], "cells": [<cell values>]}
Cell values in answers are [python type name, str(value)] (repr for floats), or null for None.
"""
import datetime
import json
import sys
import warnings

import openpyxl

MAX_BLANK_ROWS = 1000  # HQ's _max_row stops looking after this many rows without a truthy value


def typed(value):
    if value is None:
        return None
    if isinstance(value, float):
        return ["float", repr(value)]
    return [type(value).__name__, str(value)]


def make_cell_value(value):
    # _XLSXWorksheetAdaptor._make_cell_value: a date-time at midnight is a date
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0, 0):
        return value.date()
    return value


def hq_max_row(worksheet):
    max_row, blank_rows = 1, 0
    for i, row in enumerate(worksheet.values, 1):
        if any(v for v in row):
            max_row, blank_rows = i, 0
        else:
            blank_rows += 1
        if blank_rows >= MAX_BLANK_ROWS:
            return max_row
    return max_row


def parse_search_id(row, search_column):
    # do_import._parse_search_id: unguarded row[...], then int(float(x)) when it works
    search_id = row[search_column] or ""
    try:
        search_id = int(float(search_id))
    except (ValueError, TypeError, OverflowError):
        pass
    return search_id if isinstance(search_id, str) else str(search_id)


def stored_value(value):
    # do_import._populate_updated_fields: '---' (stripped) becomes '', None stays None, the rest str()
    if isinstance(value, str) and value.strip() == "---":
        return ""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def read_file(request):
    workbook = openpyxl.load_workbook(request["path"], read_only=True, data_only=True)
    if not workbook.worksheets:  # HQ refuses it: "your spreadsheet contains no sheets"
        return {"sheetNames": [], "maxRow": 0, "rows": [], "records": []}
    worksheet = workbook.worksheets[0]
    max_row = hq_max_row(worksheet)
    rows = []
    for i, row in enumerate(worksheet.iter_rows(), 1):
        if i > max_row:
            break
        rows.append([make_cell_value(cell.value) for cell in row])
    headers = {i: header for i, header in enumerate(rows[0] if rows else []) if header}
    search_column = request.get("searchColumn")
    records = []
    for row_number, row in enumerate(rows[1:], start=2):
        row_dict = {headers[i]: value for i, value in enumerate(row) if i in headers}
        record = {"row": row_number, "values": {str(k): stored_value(v) for k, v in row_dict.items()}}
        if search_column is not None:
            try:
                record["searchId"] = parse_search_id(row_dict, search_column)
            except KeyError as error:
                record["keyError"] = str(error)
        records.append(record)
    return {
        "sheetNames": workbook.sheetnames,
        "maxRow": max_row,
        "rows": [[typed(value) for value in row] for row in rows],
        "records": records,
    }


def decode(value):
    # Search-id corpus entries: a text, or {"int": "123"} / {"float": 1.5} / {"bool": true} / null
    if isinstance(value, dict):
        kind, raw = next(iter(value.items()))
        return {"int": int, "float": float, "bool": bool}[kind](raw)
    return value


def read_or_fail(request):
    try:
        return read_file(request)
    except Exception as error:  # what HQ would fail on: the type and text of the exception
        return {"error": "%s: %s" % (type(error).__name__, error)}


def main():
    warnings.simplefilter("ignore")  # openpyxl warns about what it fixes up; the answers say what it read
    request = json.load(sys.stdin)
    answer = {
        "files": [read_or_fail(file) for file in request.get("files", [])],
        "searchIds": [parse_search_id({"c": decode(value)}, "c") for value in request.get("searchIds", [])],
        "cells": [
            {"typed": typed(decode(value)), "stored": stored_value(decode(value)), "searchId": parse_search_id({"c": decode(value)}, "c")}
            for value in request.get("cells", [])
        ],
        "openpyxl": openpyxl.__version__,
    }
    json.dump(answer, sys.stdout, ensure_ascii=True)


main()
