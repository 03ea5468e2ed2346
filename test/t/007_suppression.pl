# Consent and suppressions with the worker running the campaigns: customers
# without consent or suppressed never get a message, an unsubscribe reported
# by the delivery system withdraws the customer's queued marketing messages
# (the next claims skip them), a hard bounce stops transactional messages on
# that channel too, and the excluded customers enter once the reason is gone.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('suppression');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 1
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION crm_marketing;
	CREATE TABLE people (id bigint PRIMARY KEY, opted_in boolean);
	INSERT INTO people SELECT i, i % 4 <> 0 FROM generate_series(1, 40) i;   -- 4, 8, ... 40 said no
	SELECT crm.register_source('customers', 'people', 'id', consent_column => 'opted_in');
	SELECT crm.suppress('1', 'email');                       -- marketing e-mail only
	SELECT crm.suppress('2', NULL, 'all');                   -- nothing at all
	SELECT crm.create_campaign('news', 'SELECT id AS customer_id FROM people', 'email',
	                           holdout_percent => 0, run_every => '1 second');
	SELECT crm.create_campaign('orders', 'SELECT id AS customer_id FROM people WHERE id <= 6', 'email',
	                           purpose => 'transactional', run_every => '1 second');
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 2 FROM crm.job_runs WHERE status = 'ok'}),
	'the worker ran both campaigns');

is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT o.customer_id, ',' ORDER BY o.customer_id)
	FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
	WHERE c.name = 'news' AND (o.customer_id::int % 4 = 0 OR o.customer_id IN ('1', '2'))}),
	'', 'no marketing message to a customer without consent or suppressed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'news'}),
	'28', 'and one to each of the other 28');
is($node->safe_psql('postgres', q{
	SELECT string_agg(o.customer_id, ',' ORDER BY o.customer_id)
	FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'orders'}),
	'1,3,4,5,6', 'transactional messages ignore consent and marketing suppressions, not a suppression of everything');
is($node->safe_psql('postgres', q{SELECT reason || ':' || count(*) FROM crm.campaign_exclusions GROUP BY reason ORDER BY reason}),
	"no_consent:10\nsuppressed:3", 'the excluded customers are recorded with their reason');

# the delivery system reports an unsubscribe and a hard bounce while messages are queued
$node->safe_psql('postgres', q{
	SELECT crm.report_delivery(o.message_id, 'unsubscribed') FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
	WHERE c.name = 'orders' AND o.customer_id = '3';
	SELECT crm.report_delivery(o.message_id, 'bounced', '{"bounce_type": "Permanent"}') FROM crm.outbox o
	JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'news' AND o.customer_id = '5';
});
is($node->safe_psql('postgres', q{
	SELECT string_agg(c.name || ':' || o.customer_id || ':' || o.status, ',' ORDER BY c.name, o.customer_id)
	FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE o.customer_id IN ('3', '5')}),
	'news:3:suppressed,news:5:bounced,orders:3:unsubscribed,orders:5:suppressed',
	'the unsubscribe withdrew the marketing message, the hard bounce every queued message on the channel');
my $claimed = $node->safe_psql('postgres', q{SELECT string_agg(customer_id, ',' ORDER BY customer_id::int) FROM crm.claim_messages('email', 1000)});
unlike(",$claimed,", qr/,(3|5),/, 'claims hand out nothing to them');

# consent given later: the customer enters at a following run
$node->safe_psql('postgres', q{UPDATE people SET opted_in = true WHERE id = 8});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'news' AND o.customer_id = '8'}),
	'a customer who opts in later gets the campaign');
$node->stop;
done_testing();
