// JdbcColumnTypes — what a BI tool that talks JDBC (Metabase, for one) sees of
// crm_marketing: for each query, the column names and JDBC type names from
// ResultSetMetaData must be plain typed columns, as listed in expected below.
// Connects with the libpq environment variables that pg_virtualenv sets.
// Exit status 1 on any mismatch.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

public class JdbcColumnTypes {
    private static int failures = 0;

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    // Runs a query and compares "name:type" of every column with the expected list.
    private static void check(Connection db, String label, String query, String... expected) throws Exception {
        List<String> got = new ArrayList<>();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(query)) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++)
                got.add(md.getColumnLabel(i) + ":" + md.getColumnTypeName(i));
            int rows = 0;
            while (rs.next())
                rows++;
            if (rows == 0) {
                System.out.println("not ok - " + label + ": no rows");
                failures++;
                return;
            }
        }
        if (got.equals(List.of(expected)))
            System.out.println("ok - " + label + " " + got);
        else {
            System.out.println("not ok - " + label + "\n    got:      " + got + "\n    expected: " + List.of(expected));
            failures++;
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + env("PGHOST", "localhost") + ":" + env("PGPORT", "5432") + "/"
            + env("PGDATABASE", "postgres");
        try (Connection db = DriverManager.getConnection(url, env("PGUSER", "postgres"), env("PGPASSWORD", ""))) {
            try (Statement st = db.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS crm_marketing");
                st.execute("DROP TABLE IF EXISTS jdbc_orders CASCADE");
                st.execute("CREATE TABLE jdbc_orders AS SELECT (i % 50)::bigint AS customer_id, "
                    + "timestamptz '2024-01-01' + (i * 37 % 400) * interval '1 day' AS purchased_at, "
                    + "(10 + i % 90)::numeric(10,2) AS amount, i % 2 = 0 AS treated "
                    + "FROM generate_series(1, 500) i");
                st.execute("SELECT crm.rfm_view('jdbc_rfm', 'jdbc_orders')");
                st.execute("SELECT crm.cohort_view('jdbc_cohorts', 'jdbc_orders', amount_column => 'amount')");
            }
            check(db, "RFM view", "SELECT * FROM jdbc_rfm",
                "customer_id:int8", "last_purchase:timestamptz", "recency_days:float8", "orders:int8",
                "revenue:float8", "r:int2", "f:int2", "m:int2", "cell:text", "segment:text");
            check(db, "cohort view", "SELECT * FROM jdbc_cohorts",
                "cohort:date", "period_number:int4", "cohort_size:int8", "retained:int8", "retention_rate:float8",
                "revenue:float8", "cumulative_revenue_per_customer:float8");
            check(db, "(crm.uplift_ttest(...)).*",
                "SELECT (crm.uplift_ttest(treated, amount)).* FROM jdbc_orders",
                "n_treatment:int8", "n_control:int8", "mean_treatment:float8", "mean_control:float8",
                "sd_treatment:float8", "sd_control:float8", "uplift:float8", "uplift_ci_low:float8",
                "uplift_ci_high:float8", "lift:float8", "lift_ci_low:float8", "lift_ci_high:float8",
                "t_stat:float8", "df:float8", "p_value:float8", "incremental_total:float8",
                "incremental_ci_low:float8", "incremental_ci_high:float8");
            check(db, "(crm.uplift_ztest(...)).*",
                "SELECT (crm.uplift_ztest(treated, amount > 50)).* FROM jdbc_orders",
                "n_treatment:int8", "n_control:int8", "conversions_treatment:int8", "conversions_control:int8",
                "rate_treatment:float8", "rate_control:float8", "uplift:float8", "uplift_ci_low:float8",
                "uplift_ci_high:float8", "lift:float8", "lift_ci_low:float8", "lift_ci_high:float8",
                "z_stat:float8", "p_value:float8");
            check(db, "(crm.nps(...)).* by segment",
                "SELECT customer_id % 3 AS segment, (crm.nps((customer_id % 11)::int)).* FROM jdbc_orders GROUP BY 1",
                "segment:int8", "responses:int8", "promoters:int8", "passives:int8", "detractors:int8",
                "nps:float8", "margin_of_error:float8", "ci_low:float8", "ci_high:float8");
            check(db, "(crm.customer_kpis(...)).*",
                "SELECT (crm.customer_kpis(customer_id, purchased_at, amount)).* FROM jdbc_orders",
                "customers:int8", "orders:int8", "revenue:float8", "arpu:float8", "average_order_value:float8",
                "repeat_customer_rate:float8", "median_days_between_purchases:float8");
            check(db, "crm.rfm_segments(...)",
                "SELECT * FROM crm.rfm_segments('jdbc_orders')",
                "customer_id:text", "last_purchase:timestamptz", "recency_days:float8", "orders:int8",
                "revenue:float8", "r:int2", "f:int2", "m:int2", "cell:text", "segment:text");
        }
        if (failures > 0) {
            System.out.println(failures + " JDBC check(s) failed");
            System.exit(1);
        }
        System.out.println("all JDBC checks passed");
    }
}
