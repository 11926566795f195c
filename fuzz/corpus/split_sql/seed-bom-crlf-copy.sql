DO $body$ BEGIN RAISE NOTICE $$x;y$$; END $body$;
CREATE TYPE mood AS ENUM ('hé', '日');
COPY t (a) FROM stdin;
1
\.
SELECT E'\'';
/* unterminated