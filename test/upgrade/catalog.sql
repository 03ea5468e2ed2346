-- A text description of everything the extension puts in a database, one line
-- per fact, sorted: run in a database upgraded by ALTER EXTENSION ... UPDATE
-- and in one with a fresh CREATE EXTENSION, the two outputs must be equal.
--
-- Objects are named by pg_identify_object (schema-qualified, independent of
-- OIDs); definitions come from the pg_get_*def functions, so a function body,
-- an index, a view, a default or a constraint that differs shows up.  Grants
-- are compared as they are now (the ACL columns) and as the extension
-- recorded them (pg_init_privs, which pg_dump uses).  Sequence positions and
-- table contents are data, not catalog, and are left out.
-- An ACL as sorted text, NULL read as the object kind's default (what it
-- means): GRANT and REVOKE in another order, or a GRANT of what was already
-- the default, give the same rights and the same text.
CREATE FUNCTION pg_temp.acl(a pg_catalog.aclitem[], kind "char" DEFAULT NULL, owner pg_catalog.oid DEFAULT NULL)
RETURNS pg_catalog.text
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce((SELECT pg_catalog.string_agg(x::pg_catalog.text, ',' ORDER BY x::pg_catalog.text COLLATE "C")
                       FROM pg_catalog.unnest(coalesce(a, CASE WHEN kind IS NOT NULL
                                                              THEN pg_catalog.acldefault(kind, owner) END)) AS x),
                      'none') $$;

WITH ext AS (
	SELECT oid, extnamespace FROM pg_catalog.pg_extension WHERE extname = 'crm_marketing'
),
member AS (
	SELECT d.classid, d.objid, d.objsubid,
	       (pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid)).*
	FROM pg_catalog.pg_depend d, ext
	WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	  AND d.refobjid = ext.oid AND d.deptype = 'e'
),
-- relations whose columns are compared: member tables and views, and the
-- relations behind member composite types
rel AS (
	SELECT m.identity, m.objid AS oid FROM member m
	WHERE m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	UNION ALL
	SELECT m.identity, t.typrelid FROM member m
	JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = m.objid
	WHERE t.typrelid <> 0
),
fact(line) AS (
	-- the extension itself: version, schema, configuration tables (what pg_dump dumps)
	SELECT 'extension|' || e.extversion || '|schema ' || n.nspname || '|relocatable ' || e.extrelocatable
	FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
	WHERE e.extname = 'crm_marketing'
	UNION ALL
	SELECT 'config dump|' || c.tbl::pg_catalog.regclass::pg_catalog.text || '|' || coalesce(c.cond, '')
	FROM pg_catalog.pg_extension e,
	     LATERAL ROWS FROM (pg_catalog.unnest(e.extconfig), pg_catalog.unnest(e.extcondition)) AS c(tbl, cond)
	WHERE e.extname = 'crm_marketing'
	UNION ALL
	SELECT 'schema acl|' || n.nspname || '|' || pg_temp.acl(n.nspacl, 'n', n.nspowner)
	FROM pg_catalog.pg_namespace n, ext WHERE n.oid = ext.extnamespace
	UNION ALL
	-- every member, so an object the upgrade forgot (or left behind) shows
	SELECT 'member|' || m.type || '|' || m.identity FROM member m
	UNION ALL
	-- objects in the extension's schema that are not members (created loose by a script)
	SELECT 'loose|' || (pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0)).identity
	FROM pg_catalog.pg_class c, ext
	WHERE c.relnamespace = ext.extnamespace
	  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
	                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
	                    AND d.deptype IN ('e', 'i', 'a'))
	UNION ALL
	SELECT 'loose|' || p.oid::pg_catalog.regprocedure::pg_catalog.text
	FROM pg_catalog.pg_proc p, ext
	WHERE p.pronamespace = ext.extnamespace
	  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
	                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')
	UNION ALL
	-- comments on members and on their columns
	SELECT 'comment|' || m.identity || '|' || ds.description
	FROM member m JOIN pg_catalog.pg_description ds
	  ON ds.classoid = m.classid AND ds.objoid = m.objid
	UNION ALL
	-- functions and procedures: the whole definition (attributes, SET clauses,
	-- body or C symbol), the ACL, and for aggregates their support functions
	SELECT 'function|' || m.identity || '|' ||
	       CASE WHEN p.prokind = 'a' THEN 'aggregate'
	            ELSE pg_catalog.pg_get_functiondef(p.oid) END
	       || '|acl ' || pg_temp.acl(p.proacl, 'f', p.proowner)
	       || '|parallel ' || p.proparallel::pg_catalog.text || '|cost ' || p.procost || '|rows ' || p.prorows
	FROM member m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = m.objid
	UNION ALL
	SELECT 'aggregate|' || a.aggfnoid::pg_catalog.regprocedure::pg_catalog.text || '|kind ' || a.aggkind::pg_catalog.text
	       || '|sfunc ' || a.aggtransfn::pg_catalog.regprocedure::pg_catalog.text
	       || '|stype ' || a.aggtranstype::pg_catalog.regtype::pg_catalog.text
	       || '|sspace ' || a.aggtransspace
	       || '|finalfunc ' || a.aggfinalfn::pg_catalog.text || ' extra ' || a.aggfinalextra || ' modify ' || a.aggfinalmodify::pg_catalog.text
	       || '|combinefunc ' || a.aggcombinefn::pg_catalog.text
	       || '|serialfunc ' || a.aggserialfn::pg_catalog.text || '|deserialfunc ' || a.aggdeserialfn::pg_catalog.text
	       || '|msfunc ' || a.aggmtransfn::pg_catalog.text || '|minvfunc ' || a.aggminvtransfn::pg_catalog.text
	       || '|mfinalfunc ' || a.aggmfinalfn::pg_catalog.text
	       || '|sortop ' || a.aggsortop::pg_catalog.text || '|numdirect ' || a.aggnumdirectargs
	       || '|initcond ' || coalesce(a.agginitval, '<null>')
	       || '|minitcond ' || coalesce(a.aggminitval, '<null>')
	FROM member m JOIN pg_catalog.pg_aggregate a ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND a.aggfnoid = m.objid
	UNION ALL
	-- types: their shape, I/O functions and ACL
	SELECT 'type|' || m.identity || '|' || t.typtype::pg_catalog.text || '|len ' || t.typlen || '|byval ' || t.typbyval
	       || '|align ' || t.typalign::pg_catalog.text || '|storage ' || t.typstorage::pg_catalog.text
	       || '|in ' || t.typinput::pg_catalog.text || '|out ' || t.typoutput::pg_catalog.text
	       || '|recv ' || t.typreceive::pg_catalog.text || '|send ' || t.typsend::pg_catalog.text
	       || '|base ' || t.typbasetype::pg_catalog.regtype::pg_catalog.text
	       || '|notnull ' || t.typnotnull || '|default ' || coalesce(t.typdefault, '<null>')
	       || '|acl ' || pg_temp.acl(t.typacl, 'T', t.typowner)
	FROM member m JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = m.objid
	UNION ALL
	SELECT 'enum|' || m.identity || '|' || e.enumsortorder || '|' || e.enumlabel
	FROM member m JOIN pg_catalog.pg_enum e ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.enumtypid = m.objid
	UNION ALL
	-- relations (tables, views, sequences, composite types' relations, indexes)
	SELECT 'relation|' || m.identity || '|kind ' || c.relkind::pg_catalog.text || '|persistence ' || c.relpersistence::pg_catalog.text
	       || '|options ' || coalesce(c.reloptions::pg_catalog.text, '')
	       || '|acl ' || pg_temp.acl(c.relacl, (CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)
	       || '|rls ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
	       || '|replident ' || c.relreplident::pg_catalog.text
	       || CASE WHEN c.relkind::pg_catalog.text IN ('v', 'm') THEN '|view ' || pg_catalog.pg_get_viewdef(c.oid) ELSE '' END
	FROM member m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = m.objid
	UNION ALL
	-- columns in the order SELECT * returns them (a column added by ALTER
	-- TABLE goes last: a fresh install must put it last as well)
	SELECT 'column|' || r.identity || '|' ||
	       pg_catalog.row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum) || '|' || a.attname
	       || '|' || pg_catalog.format_type(a.atttypid, a.atttypmod)
	       || '|notnull ' || a.attnotnull || '|identity ' || a.attidentity::pg_catalog.text || '|generated ' || a.attgenerated::pg_catalog.text
	       || '|default ' || coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '<none>')
	       || '|collation ' || coalesce(NULLIF(a.attcollation, 0)::pg_catalog.regcollation::pg_catalog.text, '')
	       || '|storage ' || a.attstorage::pg_catalog.text
	       || '|acl ' || pg_temp.acl(a.attacl)
	FROM rel r
	JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
	UNION ALL
	SELECT 'constraint|' || m.identity || '|' || co.conname || '|' || pg_catalog.pg_get_constraintdef(co.oid)
	       || '|deferrable ' || co.condeferrable || ' ' || co.condeferred || '|validated ' || co.convalidated
	FROM member m JOIN pg_catalog.pg_constraint co
	  ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND co.conrelid = m.objid
	UNION ALL
	SELECT 'index|' || m.identity || '|' || pg_catalog.pg_get_indexdef(i.indexrelid)
	FROM member m JOIN pg_catalog.pg_index i ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND i.indrelid = m.objid
	UNION ALL
	SELECT 'trigger|' || m.identity || '|' || pg_catalog.pg_get_triggerdef(tg.oid)
	FROM member m JOIN pg_catalog.pg_trigger tg
	  ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND tg.tgrelid = m.objid AND NOT tg.tgisinternal
	UNION ALL
	SELECT 'policy|' || m.identity || '|' || po.polname || '|' || po.polcmd::pg_catalog.text || '|' || po.polpermissive
	       || '|' || coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '')
	       || '|' || coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '')
	FROM member m JOIN pg_catalog.pg_policy po
	  ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND po.polrelid = m.objid
	UNION ALL
	SELECT 'sequence|' || m.identity || '|' || s.seqtypid::pg_catalog.regtype::pg_catalog.text
	       || '|' || s.seqstart || '|' || s.seqincrement || '|' || s.seqmin || '|' || s.seqmax
	       || '|' || s.seqcache || '|' || s.seqcycle
	FROM member m JOIN pg_catalog.pg_sequence s ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND s.seqrelid = m.objid
	UNION ALL
	-- the privileges the extension recorded as its own (pg_dump's baseline)
	SELECT 'init privs|' || (pg_catalog.pg_identify_object(ip.classoid, ip.objoid, ip.objsubid)).identity
	       || '|' || ip.privtype::pg_catalog.text || '|' || pg_temp.acl(ip.initprivs)
	FROM pg_catalog.pg_init_privs ip
	JOIN member m ON m.classid = ip.classoid AND m.objid = ip.objoid
)
-- one fact per line: newlines inside definitions are written as \n
SELECT pg_catalog.replace(line, E'\n', E'\\n') AS line FROM fact ORDER BY line COLLATE "C";
