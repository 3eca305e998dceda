package io.edgegw.buffer.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.edgegw.buffer.store.QualityCode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Writes query rows as they come from the database cursor, as a JSON document or as CSV (RFC 4180),
 * so that no response is ever held in memory whole.
 */
abstract class RowWriter {

  /** Starts a document with the given column names. */
  static RowWriter open(QueryParams.Format format, OutputStream out, String... columns)
      throws IOException {
    return format == QueryParams.Format.JSON ? new Json(out) : new Csv(out, columns);
  }

  /**
   * Ends the document after the last row. Not called when the query fails part-way, so a failed
   * answer is never a well-formed document.
   */
  abstract void finish() throws IOException;

  /** Pushes everything written so far to the output stream (a part boundary of the bus export). */
  abstract void flush() throws IOException;

  abstract void beginRow() throws IOException;

  abstract void endRow() throws IOException;

  abstract void field(String name, String text) throws IOException;

  abstract void field(String name, long n) throws IOException;

  /** A double, or a decimal text kept exact, or null. */
  abstract void number(String name, Double value, String exact) throws IOException;

  abstract void bool(String name, Boolean b) throws IOException;

  void time(String name, Instant t) throws IOException {
    field(name, t == null ? null : t.toString());
  }

  /** The value of a sample row in the form of its series kind. */
  void value(String kind, ResultSet rs, int valueCol, int textCol)
      throws SQLException, IOException {
    double v = rs.getDouble(valueCol);
    Double value = rs.wasNull() ? null : v;
    String text = rs.getString(textCol);
    if ("string".equals(kind)) {
      field("v", text);
    } else if ("boolean".equals(kind)) {
      bool("v", value == null ? null : value != 0);
    } else {
      number("v", value, text);
    }
  }

  void quality(ResultSet rs, int col) throws SQLException, IOException {
    field("q", QualityCode.from(rs.getShort(col)).name());
  }

  private static final class Json extends RowWriter {
    private final JsonGenerator gen;

    Json(OutputStream out) throws IOException {
      gen = new JsonFactory().createGenerator(out);
      gen.writeStartArray();
    }

    @Override
    void flush() throws IOException {
      gen.flush();
    }

    @Override
    void beginRow() throws IOException {
      gen.writeStartObject();
    }

    @Override
    void endRow() throws IOException {
      gen.writeEndObject();
    }

    @Override
    void field(String name, String text) throws IOException {
      gen.writeStringField(name, text);
    }

    @Override
    void field(String name, long n) throws IOException {
      gen.writeNumberField(name, n);
    }

    @Override
    void number(String name, Double value, String exact) throws IOException {
      gen.writeFieldName(name);
      if (exact != null) {
        gen.writeNumber(exact);
      } else if (value == null) {
        gen.writeNull();
      } else {
        gen.writeNumber(value);
      }
    }

    @Override
    void bool(String name, Boolean b) throws IOException {
      gen.writeFieldName(name);
      if (b == null) {
        gen.writeNull();
      } else {
        gen.writeBoolean(b);
      }
    }

    @Override
    void finish() throws IOException {
      gen.writeEndArray();
      gen.close();
    }
  }

  private static final class Csv extends RowWriter {
    private final Writer out;
    private boolean first = true;

    Csv(OutputStream stream, String... columns) throws IOException {
      out = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
      out.write(String.join(",", columns));
      out.write("\r\n");
    }

    private void sep() throws IOException {
      if (!first) {
        out.write(',');
      }
      first = false;
    }

    @Override
    void flush() throws IOException {
      out.flush();
    }

    @Override
    void beginRow() {
      first = true;
    }

    @Override
    void endRow() throws IOException {
      out.write("\r\n");
    }

    @Override
    void field(String name, String text) throws IOException {
      sep();
      if (text == null) {
        return;
      }
      if (text.indexOf(',') >= 0
          || text.indexOf('"') >= 0
          || text.indexOf('\n') >= 0
          || text.indexOf('\r') >= 0) {
        out.write('"');
        out.write(text.replace("\"", "\"\""));
        out.write('"');
      } else {
        out.write(text);
      }
    }

    @Override
    void field(String name, long n) throws IOException {
      sep();
      out.write(Long.toString(n));
    }

    @Override
    void number(String name, Double value, String exact) throws IOException {
      sep();
      if (exact != null) {
        out.write(exact);
      } else if (value != null) {
        out.write(Double.toString(value));
      }
    }

    @Override
    void bool(String name, Boolean b) throws IOException {
      sep();
      if (b != null) {
        out.write(b ? "true" : "false");
      }
    }

    @Override
    void finish() throws IOException {
      out.close();
    }
  }
}
