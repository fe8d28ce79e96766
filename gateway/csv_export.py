"""Lists as CSV (`?format=csv`): every page of the list, streamed, UTF-8 with a BOM so Excel
shows Turkish letters, `;`-separated for Turkish users (Excel's list separator in Türkiye) and
`,` for English ones; headers in the user's language."""
import csv
import io

from flask import Response, stream_with_context
from marshmallow import Schema, fields, validate

from services.common import formats

PAGE = 500


class ListFormat(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


def listing(schema):
    """A service's list query schema plus the gateway's `format` (for the OpenAPI document
    and an early 422)."""
    return type(f"{schema.__name__}Http", (schema, ListFormat), {})


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value, kind=None, language="tr"):
    """A value as Excel should see it: text that Excel would run as a formula gets a leading
    apostrophe (OWASP's CSV injection advice); money gets a decimal comma for Turkish users;
    a "date" or a "moment" (a UTC time, shown on Türkiye's clock) is written as e-mails and
    documents write it (services/common/formats.py: 05.01.2027 14:30 / 5 Jan 2027 14:30)."""
    if value is None:
        return ""
    if kind == "money":
        return str(value).replace(".", ",") if language == "tr" else str(value)
    if kind == "date":
        return formats.day(value, language)
    if kind == "moment":
        return formats.moment(value, language)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(fetch, args, columns, filename, language="tr"):
    """`fetch(args)` -> {"items", "next_cursor"}; columns: [(tr, en, item -> value[, kind])]
    (kind "money": a decimal comma in Turkish). The first page is fetched before the response
    starts, so a bad query is still a JSON error."""
    args = {**args, "limit": PAGE}
    args.pop("cursor", None)
    first = fetch(args)
    delimiter = ";" if language == "tr" else ","

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([c[0] if language == "tr" else c[1] for c in columns])
        yield "\ufeff" + buffer.getvalue()
        page = first
        while True:
            buffer.seek(0)
            buffer.truncate()
            for item in page["items"]:
                writer.writerow([cell(c[2](item), c[3] if len(c) > 3 else None, language)
                                 for c in columns])
            yield buffer.getvalue()
            if not page.get("next_cursor"):
                return
            page = fetch({**args, "cursor": page["next_cursor"]})

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
