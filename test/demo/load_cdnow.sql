-- Loads the real CDNOW orders (test/data/CDNOW_master.txt) into demo.orders.
-- Run from the repository root (psql resolves \copy paths against its working directory).
CREATE SCHEMA IF NOT EXISTS demo;
CREATE TEMP TABLE cdnow_lines (line text);
\copy cdnow_lines FROM 'test/data/CDNOW_master.txt'

CREATE TABLE demo.orders (
	order_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id bigint NOT NULL,
	purchased_at timestamptz NOT NULL,
	cds int NOT NULL,
	amount numeric(10, 2) NOT NULL
);

INSERT INTO demo.orders (customer_id, purchased_at, cds, amount)
SELECT f[1]::bigint, to_date(f[2], 'YYYYMMDD')::timestamptz, f[3]::int, f[4]::numeric
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM cdnow_lines) l
WHERE f[1] ~ '^[0-9]+$'
ORDER BY 1, 2;
CREATE INDEX ON demo.orders (customer_id);
ANALYZE demo.orders;
DROP TABLE cdnow_lines;
