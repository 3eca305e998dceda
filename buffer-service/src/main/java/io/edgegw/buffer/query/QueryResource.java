package io.edgegw.buffer.query;

import io.agroal.api.AgroalDataSource;
import io.edgegw.buffer.BufferConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

/**
 * The query API: the handover's "read the last 30 days of buffered data from any gateway". Large
 * answers stream from a database cursor ({@code buffer.api.fetch-size} rows per round trip)
 * straight into the response, in JSON or CSV.
 */
@Path("/api/v1")
@Tag(name = "store", description = "Buffered samples, aggregates and exports")
@SecurityRequirement(name = "token")
public class QueryResource {
  private static final Logger LOG = Logger.getLogger(QueryResource.class);

  @Inject AgroalDataSource dataSource;
  @Inject BufferConfig config;
  @Inject InstantSource clock;

  @GET
  @Path("/series")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Every series with its device, tag, unit and first and last timestamp")
  public List<SeriesInfo> series() throws SQLException {
    List<SeriesInfo> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT s.id, s.device, s.tag, s.unit, s.kind,"
                    + " (SELECT min(ts) FROM sample WHERE series_id = s.id),"
                    + " (SELECT max(ts) FROM sample WHERE series_id = s.id)"
                    + " FROM series s ORDER BY s.device, s.tag")) {
      while (rs.next()) {
        out.add(
            new SeriesInfo(
                rs.getInt(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                instant(rs.getTimestamp(6)),
                instant(rs.getTimestamp(7))));
      }
    }
    return out;
  }

  @GET
  @Path("/series/{id}/samples")
  @Produces({MediaType.APPLICATION_JSON, "text/csv"})
  @Operation(summary = "Raw samples of one series in [from, to), oldest first (default: last hour)")
  public Response samples(
      @PathParam("id") String id,
      @Parameter(description = "ISO-8601 instant, epoch ms, now or now-<duration>")
          @QueryParam("from")
          String from,
      @Parameter(description = "as from; default now") @QueryParam("to") String to,
      @Parameter(description = "json (default) or csv") @QueryParam("format") String format) {
    SeriesInfo series = find(QueryParams.seriesId(id));
    QueryParams.Range range = QueryParams.range(from, to, clock.instant(), Duration.ofHours(1));
    QueryParams.Format f = QueryParams.format(format);
    return stream(
            f,
            "samples-" + series.id(),
            out -> {
              try (Connection c = cursor();
                  PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT ts, value, text_value, quality FROM sample"
                              + " WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts")) {
                ps.setFetchSize(config.api().fetchSize());
                ps.setInt(1, series.id());
                ps.setTimestamp(2, Timestamp.from(range.from()));
                ps.setTimestamp(3, Timestamp.from(range.to()));
                try (ResultSet rs = ps.executeQuery()) {
                  RowWriter w = RowWriter.open(f, out, "time", "t", "v", "q");
                  while (rs.next()) {
                    Instant t = rs.getTimestamp(1).toInstant();
                    w.beginRow();
                    w.time("time", t);
                    w.field("t", t.toEpochMilli());
                    w.value(series.kind(), rs, 2, 3);
                    w.quality(rs, 4);
                    w.endRow();
                  }
                  w.finish();
                }
              }
            })
        .build();
  }

  @GET
  @Path("/series/{id}/aggregates")
  @Produces({MediaType.APPLICATION_JSON, "text/csv"})
  @Operation(
      summary =
          "Time buckets of one series: min, max, avg, last and count of its GOOD samples"
              + " (default: last 24 hours in 1-minute buckets)")
  public Response aggregates(
      @PathParam("id") String id,
      @QueryParam("from") String from,
      @QueryParam("to") String to,
      @Parameter(description = "bucket width: 500ms, 10s, 1m, 1h, 1d or ISO-8601; default 1m")
          @QueryParam("bucket")
          String bucket,
      @QueryParam("format") String format) {
    SeriesInfo series = find(QueryParams.seriesId(id));
    QueryParams.Range range = QueryParams.range(from, to, clock.instant(), Duration.ofDays(1));
    Duration width =
        bucket == null || bucket.isBlank()
            ? Duration.ofMinutes(1)
            : QueryParams.duration("bucket", bucket);
    if (width.toMillis() < 1) {
      throw BadRequest.of("bucket: width must be at least 1ms, got '" + bucket + "'");
    }
    long buckets = range.length().toMillis() / width.toMillis() + 1;
    if (buckets > config.api().maxBuckets()) {
      throw BadRequest.of(
          "bucket: "
              + buckets
              + " buckets of "
              + width
              + " in "
              + range.length()
              + " is more than the limit of "
              + config.api().maxBuckets()
              + "; use a wider bucket or a shorter range");
    }
    QueryParams.Format f = QueryParams.format(format);
    return stream(
            f,
            "aggregates-" + series.id(),
            out -> {
              try (Connection c = cursor();
                  PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT date_bin(? * interval '1 millisecond', ts, timestamptz 'epoch') AS b,"
                              + " min(value), max(value), avg(value),"
                              + " (array_agg(value ORDER BY ts DESC))[1], count(*)"
                              + " FROM sample WHERE series_id = ? AND ts >= ? AND ts < ?"
                              + " AND quality = 0 AND value IS NOT NULL"
                              + " GROUP BY b ORDER BY b")) {
                ps.setFetchSize(config.api().fetchSize());
                ps.setLong(1, width.toMillis());
                ps.setInt(2, series.id());
                ps.setTimestamp(3, Timestamp.from(range.from()));
                ps.setTimestamp(4, Timestamp.from(range.to()));
                try (ResultSet rs = ps.executeQuery()) {
                  RowWriter w =
                      RowWriter.open(f, out, "time", "t", "min", "max", "avg", "last", "count");
                  while (rs.next()) {
                    Instant t = rs.getTimestamp(1).toInstant();
                    w.beginRow();
                    w.time("time", t);
                    w.field("t", t.toEpochMilli());
                    w.number("min", rs.getDouble(2), null);
                    w.number("max", rs.getDouble(3), null);
                    w.number("avg", rs.getDouble(4), null);
                    w.number("last", rs.getDouble(5), null);
                    w.field("count", rs.getLong(6));
                    w.endRow();
                  }
                  w.finish();
                }
              }
            })
        .build();
  }

  @GET
  @Path("/export")
  @Produces({MediaType.APPLICATION_JSON, "text/csv"})
  @Operation(
      summary =
          "Raw samples of several series (or all) in [from, to), ordered by series then time,"
              + " as a download (default: last 24 hours, CSV)")
  public Response export(
      @Parameter(description = "comma-separated series ids; all series when absent")
          @QueryParam("series")
          String seriesList,
      @QueryParam("from") String from,
      @QueryParam("to") String to,
      @Parameter(description = "csv (default) or json") @QueryParam("format") String format) {
    ExportRows export;
    try (Connection c = dataSource.getConnection()) {
      export =
          ExportRows.plan(
              c,
              seriesList == null || seriesList.isBlank()
                  ? List.of()
                  : List.of(seriesList.split(",", -1)),
              from,
              to,
              format,
              clock.instant(),
              Duration.ofDays(1));
    } catch (ExportRows.Rejected e) {
      throw new BadRequest(
          e.unknownSeries() ? Response.Status.NOT_FOUND : Response.Status.BAD_REQUEST,
          e.getMessage());
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException("series lookup failed: " + e.getMessage(), e));
    }
    return stream(
            QueryParams.format(export.format()),
            "export",
            out -> {
              try (Connection c = cursor()) {
                export.write(c, config.api().fetchSize(), out, null);
              }
            })
        .header("Content-Disposition", "attachment; filename=\"export." + export.format() + "\"")
        .build();
  }

  @GET
  @Path("/data-dropped")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Unsent data removed by the disk quota or by retention, newest first")
  public List<DataDropped> dataDropped() throws SQLException {
    List<DataDropped> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT recorded_at, from_ts, to_ts, row_count, reason FROM data_dropped"
                    + " ORDER BY id DESC LIMIT 1000")) {
      while (rs.next()) {
        out.add(
            new DataDropped(
                instant(rs.getTimestamp(1)),
                instant(rs.getTimestamp(2)),
                instant(rs.getTimestamp(3)),
                rs.getLong(4),
                rs.getString(5)));
      }
    }
    return out;
  }

  /** One removal of unsent data. */
  public record DataDropped(
      Instant recordedAt, Instant from, Instant to, long rows, String reason) {}

  /** What a streamed body does with the output stream. */
  @FunctionalInterface
  interface Body {
    void write(OutputStream out) throws IOException, SQLException;
  }

  private Response.ResponseBuilder stream(QueryParams.Format f, String what, Body body) {
    StreamingOutput output =
        out -> {
          try {
            body.write(out);
          } catch (SQLException e) {
            // The status line is gone already; abort the response so the client sees a failed
            // transfer rather than a short document.
            LOG.warnf("query %s failed while streaming: %s", what, e.getMessage());
            throw new IOException("query failed: " + e.getMessage(), e);
          }
        };
    return Response.ok(output, f.mediaType);
  }

  /** A connection in a read-only transaction, so the driver can use a server-side cursor. */
  private Connection cursor() throws SQLException {
    return ExportRows.cursor(dataSource, config.api().statementTimeout());
  }

  private SeriesInfo find(int id) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT id, device, tag, unit, kind FROM series WHERE id = ?")) {
      ps.setInt(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new BadRequest(Response.Status.NOT_FOUND, "no series with id " + id);
        }
        return new SeriesInfo(
            rs.getInt(1),
            rs.getString(2),
            rs.getString(3),
            rs.getString(4),
            rs.getString(5),
            null,
            null);
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException("series lookup failed: " + e.getMessage(), e));
    }
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
