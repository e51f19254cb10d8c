"""CommCare HQ's lookup-table workbook read (corehq/util/workbook_json/excel.py, WorksheetJSONReader), run on the real
openpyxl: for each worksheet, the header width (cells before the first None of the first row), the size after
calculate_dimension(force=True), and the rows it yields (values after _convert_float, up to the first blank row).

Reads {"files": ["path", ...]} on stdin; writes [{"sheets": [...]} or {"error": "..."}] on stdout. A value is
[type name, str(value)]; a sheet that raises is {"title": ..., "crash": exception name}.
"""
import json
import sys

import openpyxl


def convert_float(value):
    if isinstance(value, float) and int(value) == value:
        return int(value)
    return value if value is not None else ''


def read_sheet(worksheet):
    width = 0
    try:
        header_row = next(worksheet.iter_rows())
    except StopIteration:
        header_row = []
    for cell in header_row:
        if cell.value is None:
            break
        width += 1
    worksheet.calculate_dimension(force=True)
    rows = []
    for row in worksheet.iter_rows():
        values = [convert_float(cell.value) for cell in row[:width]]
        if not any(value != '' for value in values):
            break
        rows.append(values)
    if rows and not all(isinstance(header, str) for header in rows[0]):
        raise ValueError('HeaderValueError')
    return {
        "title": worksheet.title,
        "maxRow": worksheet.max_row,
        "maxColumn": worksheet.max_column,
        "rows": [[[type(v).__name__, str(v)] for v in row] for row in rows],
    }


def main():
    request = json.load(sys.stdin)
    answers = []
    for path in request["files"]:
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - any refusal is compared as such
            answers.append({"error": type(error).__name__})
            continue
        sheets = []
        for worksheet in workbook.worksheets:
            try:
                sheets.append(read_sheet(worksheet))
            except Exception as error:  # noqa: BLE001
                sheets.append({"title": worksheet.title, "crash": str(error) if isinstance(error, ValueError) else type(error).__name__})
        answers.append({"sheets": sheets})
    json.dump(answers, sys.stdout)


main()
