/*
 * customer_map.c — customer id -> events (see customer_map.h).
 *
 * Events are appended; in a map whose events are a set (merge_equal), an
 * event equal to the customer's last one merges at once, and when a
 * customer's array is full it is first compacted (sorted, equal events
 * merged) and only grown if that did not free a quarter of it.  Memory
 * therefore stays within twice the distinct events, and time within
 * O(n log n), whatever the order of the rows.
 */
#include "customers/customer_map.h"

#include "common/hashfn.h"
#include "lib/qunique.h"
#include "port/pg_bitutils.h"
#include "libpq/pqformat.h"
#include "utils/memutils.h"

#include "math/compare.h"
#include "util/sql_util.h"
#include "util/state_reader.h"

#define STATE_MAP_MAGIC		0x43524d4d	/* "CRMM" */
#define STATE_MAP_VERSION	1
#define FIRST_CAPACITY		4

/* the text of a text key */
#define KEY_TEXT(key)		((const text *) (uintptr_t) (key))

/* 64-bit mix (the splitmix64 finalizer), for bigint ids */
static inline uint32
hash_int64_id(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return (uint32) x;
}

static inline uint32
hash_text_id(const text *t)
{
	return hash_bytes((const unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static inline bool
text_ids_equal(const text *a, const text *b)
{
	Size		len = VARSIZE_ANY_EXHDR(a);

	return len == VARSIZE_ANY_EXHDR(b) && memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len) == 0;
}

#define SH_PREFIX custmap
#define SH_ELEMENT_TYPE CustomerMapEntry
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, k) \
	(((CustomerMap *) (tb)->private_data)->text_ids ? hash_text_id(KEY_TEXT(k)) : hash_int64_id(k))
#define SH_EQUAL(tb, a, b) \
	(((CustomerMap *) (tb)->private_data)->text_ids ? text_ids_equal(KEY_TEXT(a), KEY_TEXT(b)) : (a) == (b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE extern
#define SH_DEFINE
#include "lib/simplehash.h"

static void flush_pending(CustomerMap *map);

CustomerMap *
customer_map_create(MemoryContext parent, bool text_ids, bool with_amounts, bool merge_equal)
{
	MemoryContext context = AllocSetContextCreate(parent, "crm customer map", ALLOCSET_DEFAULT_SIZES);
	CustomerMap *map = MemoryContextAllocZero(context, sizeof(CustomerMap));

	map->context = context;
	map->text_ids = text_ids;
	map->with_amounts = with_amounts;
	map->merge_equal = merge_equal;
	map->period_set = merge_equal && !with_amounts;
	map->table = custmap_create(context, 1024, map);
	return map;
}

uint64
customer_map_count(CustomerMap *map)
{
	flush_pending(map);
	return map->table->members;
}

void
customer_map_report_memory(CustomerMap *map, const char *aggregate)
{
	uint64		customers = customer_map_count(map);
	Size		bytes = MemoryContextMemAllocated(map->context, true);

	elog(DEBUG1, "%s: " UINT64_FORMAT " customers in %zu bytes (%.1f bytes per customer)",
		 aggregate, customers, bytes, customers ? (double) bytes / customers : 0.0);
}

uint64
customer_map_total_events(CustomerMap *map)
{
	custmap_iterator it;
	CustomerMapEntry *entry;
	uint64		total = 0;

	flush_pending(map);
	custmap_start_iterate(map->table, &it);
	while ((entry = custmap_iterate(map->table, &it)) != NULL)
		total += entry->nevents;
	return total;
}

/* An event and its amount, for sorting. */
typedef struct EventAmount
{
	int64		event;
	double		amount;
} EventAmount;

static int
compare_events(const void *a, const void *b)
{
	return crm_cmp_int64(((const EventAmount *) a)->event, ((const EventAmount *) b)->event);
}

/* Sorts the customer's event array (capacity > 0), merging equal events if the map says so. */
static void
sort_events(CustomerMap *map, CustomerMapEntry *entry)
{
	uint32		n = entry->nevents;
	uint32		i,
				out;

	if (!map->with_amounts)
	{
		qsort(entry->events.many, n, sizeof(int64), crm_qsort_int64);
		if (map->merge_equal)
			entry->nevents = (uint32) qunique(entry->events.many, n, sizeof(int64), crm_qsort_int64);
		return;
	}
	{
		EventAmount *pairs = palloc(sizeof(EventAmount) * n);

		for (i = 0; i < n; i++)
		{
			pairs[i].event = entry->events.many[i];
			pairs[i].amount = entry->amounts.many[i];
		}
		qsort(pairs, n, sizeof(EventAmount), compare_events);
		out = 0;
		for (i = 0; i < n; i++)
		{
			if (map->merge_equal && out > 0 && entry->events.many[out - 1] == pairs[i].event)
				entry->amounts.many[out - 1] += pairs[i].amount;
			else
			{
				entry->events.many[out] = pairs[i].event;
				entry->amounts.many[out] = pairs[i].amount;
				out++;
			}
		}
		entry->nevents = out;
		pfree(pairs);
	}
}

/* Makes room for one more event in a customer's array. */
static void
reserve_event(CustomerMap *map, CustomerMapEntry *entry)
{
	uint32		capacity;

	if (entry->capacity == 0)
	{
		/* move the inline event into a new array */
		int64		event = entry->events.one;
		double		amount = entry->amounts.one;

		entry->events.many = MemoryContextAlloc(map->context, sizeof(int64) * FIRST_CAPACITY);
		entry->events.many[0] = event;
		if (map->with_amounts)
		{
			entry->amounts.many = MemoryContextAlloc(map->context, sizeof(double) * FIRST_CAPACITY);
			entry->amounts.many[0] = amount;
		}
		entry->capacity = FIRST_CAPACITY;
		return;
	}
	if (entry->nevents < entry->capacity)
		return;
	if (map->merge_equal)
	{
		sort_events(map, entry);
		if (entry->nevents <= entry->capacity - entry->capacity / 4)
			return;
	}
	if (entry->capacity >= PG_UINT32_MAX / 2 ||
		(Size) entry->capacity * 2 * sizeof(int64) > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many events for one customer")));
	capacity = entry->capacity * 2;
	entry->events.many = repalloc_huge(entry->events.many, sizeof(int64) * capacity);
	if (map->with_amounts)
		entry->amounts.many = repalloc_huge(entry->amounts.many, sizeof(double) * capacity);
	entry->capacity = capacity;
}

/* Adds an event to a customer found or created by the caller. */
static void
add_event(CustomerMap *map, CustomerMapEntry *entry, bool found, int64 event, double amount)
{
	if (!found)
	{
		entry->nevents = 1;
		entry->capacity = 0;
		entry->events.one = event;
		entry->amounts.one = map->with_amounts ? amount : 0;
		return;
	}
	if (map->merge_equal)
	{
		/* most rows repeat the customer's last event: merge without a search */
		uint32		last = entry->nevents - 1;

		if (entry->capacity == 0 ? entry->events.one == event : entry->events.many[last] == event)
		{
			if (map->with_amounts)
			{
				if (entry->capacity == 0)
					entry->amounts.one += amount;
				else
					entry->amounts.many[last] += amount;
			}
			return;
		}
	}
	reserve_event(map, entry);
	entry->events.many[entry->nevents] = event;
	if (map->with_amounts)
		entry->amounts.many[entry->nevents] = amount;
	entry->nevents++;
}

/* Period sets ----------------------------------------------------------------- */

#define SET_WORD_BITS		64
/* a customer's periods may span at most this many periods (a day a period: 180,000 years) */
#define SET_MAX_SPAN		(INT64CONST(1) << 26)

static inline int64
set_word_start(int64 period)
{
	return period >= 0 ? period - period % SET_WORD_BITS
		: period - ((period % SET_WORD_BITS) + SET_WORD_BITS) % SET_WORD_BITS;
}

static inline uint64 *
set_words(CustomerMapEntry *entry)
{
	return entry->capacity == 0 ? &entry->amounts.bits : entry->amounts.words;
}

static inline uint32
set_nwords(CustomerMapEntry *entry)
{
	return entry->capacity == 0 ? 1 : entry->capacity;
}

/* Adds a period to a customer's set, widening the bitmap when needed. */
static void
set_add(CustomerMap *map, CustomerMapEntry *entry, bool found, int64 period)
{
	int64		start = set_word_start(period);
	uint64	   *words;
	int64		offset;

	if (!found)
	{
		entry->events.base = start;
		entry->capacity = 0;
		entry->amounts.bits = UINT64CONST(1) << (period - start);
		entry->nevents = 1;
		return;
	}
	if (start < entry->events.base || start >= entry->events.base + (int64) set_nwords(entry) * SET_WORD_BITS)
	{
		/* widen: a new array of words covering the old ones and the new period */
		int64		old_base = entry->events.base;
		uint32		old_n = set_nwords(entry);
		int64		new_base = Min(old_base, start);
		int64		new_end = Max(old_base + (int64) old_n * SET_WORD_BITS, start + SET_WORD_BITS);
		uint32		new_n;
		uint64	   *new_words;

		if (new_end - new_base > SET_MAX_SPAN)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("crm.cohort_retention: a customer's activity spans more than " INT64_FORMAT " periods", SET_MAX_SPAN),
					 errhint("Use a longer period (week or month instead of day).")));
		new_n = (uint32) ((new_end - new_base) / SET_WORD_BITS);
		new_words = MemoryContextAllocZero(map->context, sizeof(uint64) * new_n);
		memcpy(new_words + (old_base - new_base) / SET_WORD_BITS, set_words(entry), sizeof(uint64) * old_n);
		if (entry->capacity > 0)
			pfree(entry->amounts.words);
		entry->amounts.words = new_words;
		entry->capacity = new_n;
		entry->events.base = new_base;
	}
	words = set_words(entry);
	offset = period - entry->events.base;
	if (!(words[offset / SET_WORD_BITS] & (UINT64CONST(1) << (offset % SET_WORD_BITS))))
	{
		words[offset / SET_WORD_BITS] |= UINT64CONST(1) << (offset % SET_WORD_BITS);
		entry->nevents++;
	}
}

/* The periods of a set as a sorted list, in the map's scratch array. */
static const int64 *
set_list(CustomerMap *map, CustomerMapEntry *entry)
{
	uint64	   *words = set_words(entry);
	uint32		n = set_nwords(entry);
	uint32		w,
				k = 0;

	if (map->scratch_size < entry->nevents)
	{
		if (map->scratch)
			pfree(map->scratch);
		map->scratch_size = Max(entry->nevents, 64);
		map->scratch = MemoryContextAlloc(map->context, sizeof(int64) * map->scratch_size);
	}
	for (w = 0; w < n; w++)
	{
		uint64		bits = words[w];

		while (bits)
		{
			int			b = pg_rightmost_one_pos64(bits);

			map->scratch[k++] = entry->events.base + (int64) w * SET_WORD_BITS + b;
			bits &= bits - 1;
		}
	}
	Assert(k == entry->nevents);
	return map->scratch;
}

/*
 * The events of an entry as stored (unsorted for lists, sorted for sets),
 * for merging and writing.
 */
static uint32
entry_events(CustomerMap *map, CustomerMapEntry *entry, const int64 **events, const double **amounts)
{
	if (map->period_set)
	{
		*events = set_list(map, entry);
		*amounts = NULL;
		return entry->nevents;
	}
	*events = entry->capacity == 0 ? &entry->events.one : entry->events.many;
	*amounts = !map->with_amounts ? NULL : entry->capacity == 0 ? &entry->amounts.one : entry->amounts.many;
	return entry->capacity == 0 ? 1 : entry->nevents;
}

/* Adds an event or period to a customer found or created by the caller. */
static inline void
add_to_entry(CustomerMap *map, CustomerMapEntry *entry, bool found, int64 event, double amount)
{
	if (map->period_set)
		set_add(map, entry, found, event);
	else
		add_event(map, entry, found, event, amount);
}

/* Finds or creates the entry of a customer; text ids are copied into the map. */
static CustomerMapEntry *
find_customer(CustomerMap *map, Datum id, bool *found)
{
	CustomerMapEntry *entry;

	if (!map->text_ids)
		return custmap_insert(map->table, (uint64) DatumGetInt64(id), found);
	{
		text	   *t = (text *) PG_DETOAST_DATUM_PACKED(id);
		uint32		hash = hash_text_id(t);

		entry = custmap_insert_hash(map->table, (uint64) (uintptr_t) t, hash, found);
		if (!*found)
		{
			Size		len = VARSIZE_ANY_EXHDR(t);
			text	   *copy = MemoryContextAlloc(map->context, VARHDRSZ + len);

			SET_VARSIZE(copy, VARHDRSZ + len);
			memcpy(VARDATA(copy), VARDATA_ANY(t), len);
			entry->key = (uint64) (uintptr_t) copy;
		}
		return entry;
	}
}

/*
 * Adds the batched rows to the table, in their order of arrival.  An entry
 * pointer is good only until the next insertion (robin hood hashing moves
 * entries), so event lists, which live outside the entry, take three steps:
 * insert every customer, find each again (now in cache) and prefetch its
 * array, then add the events.
 */
static void
flush_pending(CustomerMap *map)
{
	CustomerMapEntry *entries[CUSTOMER_MAP_BATCH];
	bool		found[CUSTOMER_MAP_BATCH];
	int			i;

	if (map->period_set)
	{
		for (i = 0; i < map->npending; i++)
		{
			PendingEvent *p = &map->pending[i];
			bool		known;
			CustomerMapEntry *entry = custmap_insert_hash(map->table, p->id, p->hash, &known);

			add_to_entry(map, entry, known, p->event, p->amount);
		}
		map->npending = 0;
		return;
	}
	for (i = 0; i < map->npending; i++)
		(void) custmap_insert_hash(map->table, map->pending[i].id, map->pending[i].hash, &found[i]);
	for (i = 0; i < map->npending; i++)
	{
		entries[i] = custmap_lookup_hash(map->table, map->pending[i].id, map->pending[i].hash);
#if defined(__GNUC__)
		if (found[i] && entries[i]->capacity > 0)
			__builtin_prefetch(&entries[i]->events.many[entries[i]->nevents - 1], 1);
#endif
	}
	for (i = 0; i < map->npending; i++)
		add_to_entry(map, entries[i], found[i], map->pending[i].event, map->pending[i].amount);
	map->npending = 0;
}

void
customer_map_add(CustomerMap *map, Datum id, int64 event, double amount)
{
	PendingEvent *p;

	if (map->text_ids)
	{
		bool		found;
		CustomerMapEntry *entry = find_customer(map, id, &found);

		add_to_entry(map, entry, found, event, amount);
		return;
	}
	p = &map->pending[map->npending];
	p->id = (uint64) DatumGetInt64(id);
	p->hash = hash_int64_id(p->id);
	p->event = event;
	p->amount = amount;
#if defined(__GNUC__)
	__builtin_prefetch(&map->table->data[p->hash & map->table->sizemask], 1);
#endif
	if (++map->npending == CUSTOMER_MAP_BATCH)
		flush_pending(map);
}

void
customer_map_start(CustomerMap *map, custmap_iterator *it)
{
	flush_pending(map);
	custmap_start_iterate(map->table, it);
}

CustomerMapEntry *
customer_map_next(CustomerMap *map, custmap_iterator *it)
{
	return custmap_iterate(map->table, it);
}

uint32
customer_map_events(CustomerMap *map, CustomerMapEntry *entry, const int64 **events,
					const double **amounts)
{
	if (map->period_set)
		return entry_events(map, entry, events, amounts);
	if (entry->capacity == 0)
	{
		*events = &entry->events.one;
		*amounts = map->with_amounts ? &entry->amounts.one : NULL;
		return 1;
	}
	sort_events(map, entry);
	*events = entry->events.many;
	*amounts = map->with_amounts ? entry->amounts.many : NULL;
	return entry->nevents;
}

void
customer_map_merge(CustomerMap *into, CustomerMap *from)
{
	custmap_iterator it;
	CustomerMapEntry *entry;

	flush_pending(into);
	flush_pending(from);
	custmap_start_iterate(from->table, &it);
	while ((entry = custmap_iterate(from->table, &it)) != NULL)
	{
		Datum		id = into->text_ids ? PointerGetDatum(KEY_TEXT(entry->key)) : Int64GetDatum((int64) entry->key);
		bool		found;
		CustomerMapEntry *target = find_customer(into, id, &found);
		const int64 *events;
		const double *amounts;
		uint32		n = entry_events(from, entry, &events, &amounts);
		uint32		i;

		for (i = 0; i < n; i++)
		{
			add_to_entry(into, target, found, events[i], amounts ? amounts[i] : 0);
			found = true;
		}
	}
}

/* Serialization ------------------------------------------------------------ */

void
customer_map_write(CustomerMap *map, StringInfo buf)
{
	custmap_iterator it;
	CustomerMapEntry *entry;

	flush_pending(map);
	pq_sendint32(buf, STATE_MAP_MAGIC);
	pq_sendbyte(buf, STATE_MAP_VERSION);
	pq_sendbyte(buf, (map->text_ids ? 1 : 0) | (map->with_amounts ? 2 : 0) | (map->merge_equal ? 4 : 0));
	pq_sendint64(buf, (int64) customer_map_count(map));
	custmap_start_iterate(map->table, &it);
	while ((entry = custmap_iterate(map->table, &it)) != NULL)
	{
		const int64 *events;
		const double *amounts;
		uint32		n = entry_events(map, entry, &events, &amounts);
		uint32		i;

		if (map->text_ids)
		{
			const text *t = KEY_TEXT(entry->key);

			pq_sendint32(buf, (uint32) VARSIZE_ANY_EXHDR(t));
			pq_sendbytes(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		}
		else
			pq_sendint64(buf, (int64) entry->key);
		pq_sendint32(buf, n);
		for (i = 0; i < n; i++)
			pq_sendint64(buf, events[i]);
		if (map->with_amounts)
			for (i = 0; i < n; i++)
				pq_sendfloat8(buf, amounts[i]);
	}
}

CustomerMap *
customer_map_read(StateReader *r, MemoryContext parent, bool text_ids, bool with_amounts,
				  bool merge_equal)
{
	CustomerMap *map;
	uint8		flags;
	int64		ncustomers,
				c;

	if (state_read_u32(r) != STATE_MAP_MAGIC || state_read_u8(r) != STATE_MAP_VERSION)
		crm_state_invalid(r->aggregate, "The customer map has an unknown format or version.");
	flags = state_read_u8(r);
	if (flags != ((text_ids ? 1 : 0) | (with_amounts ? 2 : 0) | (merge_equal ? 4 : 0)))
		crm_state_invalid(r->aggregate, "The customer map is of another kind.");
	ncustomers = state_read_i64(r);
	/* each customer takes at least 12 bytes: a cheap bound before allocating */
	if (ncustomers < 0 || (uint64) ncustomers > (r->len - r->pos) / 12)
		crm_state_invalid(r->aggregate, "The customer count does not match the state's size.");

	map = customer_map_create(parent, text_ids, with_amounts, merge_equal);
	for (c = 0; c < ncustomers; c++)
	{
		Datum		id;
		uint32		nevents,
					i;
		bool		found;
		CustomerMapEntry *entry;
		size_t		events_at;

		if (text_ids)
		{
			uint32		len = state_read_u32(r);
			text	   *t;

			state_reader_need(r, len);
			t = palloc(VARHDRSZ + len);
			SET_VARSIZE(t, VARHDRSZ + len);
			memcpy(VARDATA(t), r->data + r->pos, len);
			r->pos += len;
			id = PointerGetDatum(t);
		}
		else
			id = Int64GetDatum(state_read_i64(r));
		nevents = state_read_u32(r);
		if (nevents == 0 || nevents > (r->len - r->pos) / 8)
			crm_state_invalid(r->aggregate, "A customer's event count does not match the state's size.");
		events_at = r->pos;
		state_reader_need(r, (size_t) nevents * (with_amounts ? 16 : 8));
		entry = find_customer(map, id, &found);
		for (i = 0; i < nevents; i++)
		{
			int64		event;
			double		amount = 0;

			r->pos = events_at + (size_t) i * 8;
			event = state_read_i64(r);
			if (map->period_set && (event < PG_INT32_MIN || event > PG_INT32_MAX))
				crm_state_invalid(r->aggregate, "A period is out of range.");
			if (with_amounts)
			{
				r->pos = events_at + (size_t) nevents * 8 + (size_t) i * 8;
				amount = state_read_f8(r);
			}
			add_to_entry(map, entry, found, event, amount);
			found = true;
		}
		r->pos = events_at + (size_t) nevents * (with_amounts ? 16 : 8);
	}
	return map;
}
