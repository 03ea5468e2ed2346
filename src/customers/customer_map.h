/*
 * customer_map.h — a hash table from customer id (bigint or text) to that
 * customer's events (int64 values: period indexes, timestamps), optionally
 * with an amount per event.  The state of the per-customer aggregates
 * (crm.cohort_retention, crm.customer_kpis): one pass, no sort, mergeable
 * and serializable for parallel plans.
 *
 * Two kinds of payload:
 *   - event lists (customer_kpis, and cohorts with amounts): each customer's
 *     events in an array that grows, 8 bytes an event (16 with amounts);
 *   - period sets (cohorts without amounts: equal events merge, no amounts):
 *     a bitmap of the periods, in 64-period words aligned on multiples of 64,
 *     one word inline in the entry; a customer active in months of two
 *     years costs nothing beyond the entry.
 * Memory: 40 bytes per customer in the table (sized to a power of two, so
 * 40 to 80), plus the arrays or extra bitmap words.  Everything lives in the
 * map's own memory context.
 */
#ifndef CRM_CUSTOMER_MAP_H
#define CRM_CUSTOMER_MAP_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "util/state_reader.h"

typedef struct CustomerMapEntry
{
	uint64		key;			/* bigint id, or a text * for text ids */
	uint32		hash;
	char		status;			/* used by simplehash */
	uint32		nevents;		/* events stored (period set: periods in the set) */
	uint32		capacity;		/* 0 while the payload is inline */
	union
	{
		int64		one;
		int64	   *many;
		int64		base;		/* period set: the first period of the bitmap */
	}			events;
	union
	{
		double		one;
		double	   *many;
		uint64		bits;		/* period set: the inline bitmap word */
		uint64	   *words;		/* period set: capacity words from base */
	}			amounts;
} CustomerMapEntry;

/* the hash table type custmap_hash and its functions, from simplehash.h */
#define SH_PREFIX custmap
#define SH_ELEMENT_TYPE CustomerMapEntry
#define SH_KEY_TYPE uint64
#define SH_SCOPE extern
#define SH_DECLARE
#include "lib/simplehash.h"

/*
 * Rows of bigint ids wait in a small batch whose hash buckets were prefetched
 * when they arrived: a map of a million customers is far larger than the CPU
 * caches, and one lookup after the other would each wait for memory.
 */
#define CUSTOMER_MAP_BATCH	64

typedef struct PendingEvent
{
	uint64		id;
	uint32		hash;
	int64		event;
	double		amount;
} PendingEvent;

typedef struct CustomerMap
{
	MemoryContext context;		/* owns the table, the events and the text ids */
	custmap_hash *table;
	bool		text_ids;
	bool		with_amounts;
	bool		merge_equal;	/* events are a set: equal events merge, amounts add */
	bool		period_set;		/* merge_equal without amounts: bitmaps */
	int64	   *scratch;		/* period set: one customer's periods, as a list */
	uint32		scratch_size;
	int			npending;		/* rows in pending, not yet in the table */
	PendingEvent pending[CUSTOMER_MAP_BATCH];
} CustomerMap;

/* A new, empty map whose memory is a child context of parent. */
extern CustomerMap *customer_map_create(MemoryContext parent, bool text_ids, bool with_amounts,
										bool merge_equal);

/* Adds an event of a customer (id: an int8 datum, or a text datum). */
extern void customer_map_add(CustomerMap *map, Datum id, int64 event, double amount);

/* Adds every event of `from` to `into` (same kinds of maps). */
extern void customer_map_merge(CustomerMap *into, CustomerMap *from);

extern uint64 customer_map_count(CustomerMap *map);

/* Reports the map's memory at DEBUG1 (for sizing: doc/reference/customers.md, crm.cohort_retention). */
extern void customer_map_report_memory(CustomerMap *map, const char *aggregate);

/* The number of events stored, all customers together. */
extern uint64 customer_map_total_events(CustomerMap *map);

/* Iteration over the customers, in no particular order. */
extern void customer_map_start(CustomerMap *map, custmap_iterator *it);
extern CustomerMapEntry *customer_map_next(CustomerMap *map, custmap_iterator *it);

/*
 * The events of one customer sorted by value (equal events merged when the
 * map merges them), through the two pointers; *amounts is NULL without
 * amounts.  Sorts the entry in place.
 */
extern uint32 customer_map_events(CustomerMap *map, CustomerMapEntry *entry, const int64 **events,
								  const double **amounts);

/* Binary form for parallel aggregation: appends the map to buf. */
extern void customer_map_write(CustomerMap *map, StringInfo buf);

/* Reads a map written by customer_map_write into a new map. */
extern CustomerMap *customer_map_read(StateReader *r, MemoryContext parent, bool text_ids,
									  bool with_amounts, bool merge_equal);

#endif
