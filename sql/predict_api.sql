-- Predictions: the API on a small hand-made shop (exact answers), scores,
-- options and the errors of bad input.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET cdp.test_now = '2024-06-01 00:00+00';
SELECT cdp.ingest('{"batch":[
  {"type":"track","event":"Order Completed","userId":"a","messageId":"o1","timestamp":"2024-05-06T09:10:00Z","context":{"timezone":"America/New_York"},
   "properties":{"revenue":30,"products":[{"product_id":"mug","price":10,"quantity":1,"category":"kitchen"},{"product_id":"tea","price":20,"quantity":1,"category":"food"}]}},
  {"type":"track","event":"Order Completed","userId":"b","messageId":"o2","timestamp":"2024-05-07T09:40:00Z",
   "properties":{"revenue":25,"products":[{"product_id":"mug","price":10,"quantity":1,"category":"kitchen"},{"product_id":"spoon","price":15,"quantity":1,"category":"kitchen"}]}},
  {"type":"track","event":"Order Completed","userId":"c","messageId":"o3","timestamp":"2024-05-08T18:00:00Z",
   "properties":{"revenue":10,"products":[{"product_id":"mug","price":10,"quantity":1,"category":"kitchen"}]}},
  {"type":"track","event":"Order Completed","userId":"c","messageId":"o4","timestamp":"2024-05-09T18:00:00Z",
   "properties":{"revenue":-15,"products":[{"product_id":"spoon","price":15,"quantity":-1}]}},
  {"type":"track","event":"Order Refunded","userId":"b","messageId":"r1","timestamp":"2024-05-10T18:00:00Z",
   "properties":{"products":[{"product_id":"spoon","price":15,"quantity":1}]}},
  {"type":"track","event":"Email Opened","userId":"a","messageId":"e1","timestamp":"2024-05-09T11:05:00Z","context":{"timezone":"America/New_York"}},
  {"type":"track","event":"Email Opened","userId":"a","messageId":"e2","timestamp":"2024-05-16T11:20:00Z","context":{"timezone":"America/New_York"}},
  {"type":"track","event":"Product Viewed","userId":"c","messageId":"v1","timestamp":"2024-05-09T19:00:00Z","properties":{"product_id":"tea"}}]}', 'shop') ->> 'accepted' AS accepted;
CALL cdp.refresh_recommendations();
-- net purchases: b's spoon was refunded, c's negative line is no purchase
SELECT r.source_key AS customer, i.product_id, i.purchases, i.views
  FROM cdp.customer_items i JOIN cdp.records r ON r.customer_id = i.customer_id ORDER BY 1, 2;
SELECT product_id, category, buyers, viewers FROM cdp.product_stats ORDER BY product_id;
SELECT product_id, neighbor_id, co_count FROM cdp.product_neighbors ORDER BY 1, 2;
SELECT product_id, reason FROM cdp.similar_products('mug', 5);
SELECT product_id, reason FROM cdp.recommend_products(cdp.customer_id('user_id', 'c'), 3);
SELECT product_id, reason ->> 'because' AS because FROM cdp.recommend_products(cdp.customer_id('user_id', 'c'), 3, true);
SELECT product_id FROM cdp.recommend_products(cdp.customer_id('user_id', 'c'), 3, false, 'food');
SELECT product_id, reason FROM cdp.recommend_products(-1, 2);
SELECT count(*) FROM cdp.recommend_products(cdp.customer_id('user_id', 'c'), 2000);

-- send time: a's events are in New York time (09:10Z -> 05 h, 11:05Z -> 07 h)
CALL cdp.refresh_send_times();
SELECT channel, customers, events FROM cdp.send_time_models ORDER BY channel;
SELECT b ->> 'timezone' AS tz, b -> 'basis' ->> 'events' AS events, (b ->> 'dow')::int AS dow, (b ->> 'hour')::int AS hour
  FROM cdp.best_send_time(cdp.customer_id('user_id', 'a')) b;
SELECT dow, hour, events FROM cdp.send_time_distribution('email') WHERE events > 0;
SELECT cdp.best_send_time(cdp.customer_id('user_id', 'a'), 'pigeon');
SELECT cdp.best_send_time(-5);

-- scores
SELECT cdp.create_score('engaged', '{"rules":[{"event":"Email Opened","points":5},{"event":"Order Completed","points":20,"within":"30 days"},
  {"computed":"rfm_frequency","op":"gte","value":2,"points":3}],"cap":30}') AS with_points;
SELECT r.source_key, p.computed -> 'score_engaged' AS score FROM cdp.profiles p JOIN cdp.records r USING (customer_id) ORDER BY 1;
-- a later write to the customer recomputes their computed traits and keeps the score
SELECT cdp.ingest('{"type":"track","event":"Order Completed","userId":"b","messageId":"o9","timestamp":"2024-05-20T10:00:00Z","properties":{"revenue":5}}', 'shop') ->> 'accepted' AS accepted;
SELECT computed -> 'score_engaged' AS kept, computed -> 'rfm_frequency' AS frequency FROM cdp.profiles WHERE customer_id = cdp.customer_id('user_id', 'b');
SELECT cdp.create_score('decayed', '[{"event":"Email Opened","points":8,"half_life":"7 days"}]');
SELECT round((computed ->> 'score_decayed')::numeric, 3) FROM cdp.profiles WHERE customer_id = cdp.customer_id('user_id', 'a');
SELECT round(8 * (power(0.5, extract(epoch FROM timestamptz '2024-06-01' - timestamptz '2024-05-09 11:05Z') / 604800)
              + power(0.5, extract(epoch FROM timestamptz '2024-06-01' - timestamptz '2024-05-16 11:20Z') / 604800))::numeric, 3) AS expected;
CALL cdp.refresh_scores();
SELECT cdp.create_score('bad', '[{"event":"Email Opened"}]');
SELECT cdp.create_score('bad', '[{"trait":"plan","op":"like","value":"x","points":1}]');
SELECT cdp.create_score('bad', '[{"event":"Email Opened","points":1,"half_life":"a while"}]');
SELECT cdp.create_score('Bad Name', '[{"event":"Email Opened","points":1}]');

-- predictions: errors
SELECT cdp.create_prediction('p', '{"target":{"event":"Order Completed","within":"thirty days"}}');
SELECT cdp.create_prediction('p', '{"target":{"event":"Order Completed"}}');
SELECT cdp.create_prediction('p', '{"target":{"event":"Order Completed","within":"30 days"},"colour":"red"}');
SELECT cdp.create_prediction('p', '{"target":{"event":"Order Completed","within":"30 days"}}');
SELECT cdp.train_prediction('p');
SELECT cdp.predict('p', 1);
SELECT cdp.create_prediction('q', '{"target":{"event":"Rocket Launched","within":"30 days"}}');
SELECT cdp.train_prediction('q');
SELECT cdp.create_prediction('r', '{"target":{"event":"Order Completed","within":"30 days"},"traits":["no_such_trait"]}');
SELECT cdp.train_prediction('r');
SELECT cdp.train_prediction('nope');
