"""Settings shared by every environment; the embedded default (`make run`) uses them as they are."""

# {instance_path} is replaced by the Flask instance folder (instance/ at the top of the checkout).
DATABASE_URL = "sqlite:///{instance_path}/returnees.sqlite3"

# Development only: production refuses to start with it, or without its own SECRET_KEY.
SECRET_KEY = "embedded-default-not-secret"

PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# Settings holding a secret of ours: production refuses any shorter than 32 bytes, or equal to a
# value written in a file of config/.
SECRET_SETTINGS = ("SECRET_KEY", "ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "VOICE_PROMPT_URL_KEY")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# A signed-in session ends on the server after this many minutes without a request, and this
# many hours after the sign-in however busy (a shared desktop left signed in).
SESSION_IDLE_MINUTES = 30
SESSION_MAX_HOURS = 12

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = 12 * 60 * 60

BABEL_DEFAULT_LOCALE = "es"
BABEL_DEFAULT_TIMEZONE = "America/Guatemala"
LANGUAGES = ("es", "en")

# PostgreSQL: a connection not made within this many seconds fails (at least 2), and a web
# request's statement running longer than WEB_STATEMENT_TIMEOUT_SECONDS is cancelled (0: never);
# either answers 503. A person's export, each background job and each batch of `flask keys
# rotate`/`reindex` have their own limit; other commands have none.
DATABASE_CONNECT_TIMEOUT_SECONDS = 2
WEB_STATEMENT_TIMEOUT_SECONDS = 5
EXPORT_STATEMENT_TIMEOUT_SECONDS = 20
# A bulk export (`/api/v1/exports/...`) streams one query for its whole length: 1,000,000 rows
# take about a minute.
BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS = 600
JOB_STATEMENT_TIMEOUT_SECONDS = 120
KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS = 60
# A server gone under an open connection (its host down, the network cut): TCP keepalive probes
# start after this many idle seconds, repeat every interval, and after this many unanswered the
# connection fails; data the server does not acknowledge within DATABASE_TCP_USER_TIMEOUT_SECONDS
# fails it too (0: the system's default, for each). Neither notices a server that is up but
# does not answer: the statement timeouts above are for that.
DATABASE_KEEPALIVE_IDLE_SECONDS = 5
DATABASE_KEEPALIVE_INTERVAL_SECONDS = 2
DATABASE_KEEPALIVE_COUNT = 3
DATABASE_TCP_USER_TIMEOUT_SECONDS = 11
# PostgreSQL compiles a query to machine code (JIT) when the planner's estimate of its cost is
# above this: tens to hundreds of milliseconds spent before the first row. The match's and the
# search's estimates (a name's trigrams, a key of the GIN index) are far above what they read,
# and paid it at every lookup (a passenger list's import took twice as long in its SQL); the
# reports' month of arrivals is far above this still, and keeps it.
DATABASE_JIT_ABOVE_COST = 5_000_000

# Sign-in lock-out: this many failures within the window lock the account, and separately the
# address, for LOCKOUT_MINUTES after the last failure.
LOCKOUT_FAILURES = 5
LOCKOUT_MINUTES = 15
SIGN_IN_ATTEMPTS_RETENTION_DAYS = 30

# Number of trusted proxies in front of the app (X-Forwarded-For, -Proto, -Host). 0: none.
PROXY_FIX_HOPS = 0

# Background jobs run inside the dev server (`flask serve`) in the embedded default.
SCHEDULER_IN_PROCESS = True
SCHEDULER_TIMEZONE = "UTC"

# The demo sign-ins that `flask seed-demo` creates when they do not exist yet.
DEMO_PASSWORD = "demo-returnees"

# Environment variables read by the settings loader, in every environment.
ENVIRONMENT_SETTINGS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "PUBLIC_BASE_URL",
    "PROXY_FIX_HOPS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_SMS_FROM",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_VOICE_FROM",
    "TWILIO_API_BASE_URL",
    "PROGRAMME_PHONE",
    "MESSAGING_REQUIRES_TWILIO",
    "ON_CALL_FALLBACK_PHONE",
    "MESSAGE_RETENTION_DAYS",
    "MESSAGE_RETENTION_BATCH_SIZE",
    "FOLLOW_UP_GRACE_HOURS",
    "SENDING_WINDOW",
    "DANGER_WORDS",
    "REPLY_WAIT_HOURS",
    "URGENT_ACK_MINUTES",
    "WORKER_WAKE_ON_NOTIFY",
    "SEND_CONCURRENCY",
    "VOICE_PROMPT_STORAGE",
    "VOICE_PROMPT_DIR",
    "VOICE_PROMPT_MAX_BYTES",
    "VOICE_PROMPT_MAX_SECONDS",
    "VOICE_PROMPT_URL_SECONDS",
    "VOICE_PROMPT_URL_KEY",
    "VOICE_PROMPT_S3_BUCKET",
    "VOICE_PROMPT_S3_PREFIX",
    "VOICE_PROMPT_S3_ENDPOINT_URL",
    "VOICE_PROMPT_S3_REGION",
    "RECEPTION_SCOPE_DAYS",
    "SURVEY_WAVE_WINDOW_DAYS",
    "SURVEY_PREFILL_DAYS",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_API_PER_TOKEN",
    "RATELIMIT_API_PER_ADDRESS",
    "RATELIMIT_WEBHOOK_FORGED",
    "CASE_RETENTION_YEARS",
    "BREAK_GLASS_HOURS",
    "DUPLICATE_WEIGHT",
    "MERGE_UNDO_DAYS",
    "STRICT_TRANSPORT_SECURITY",
    "DATABASE_CONNECT_TIMEOUT_SECONDS",
    "WEB_STATEMENT_TIMEOUT_SECONDS",
    "EXPORT_STATEMENT_TIMEOUT_SECONDS",
    "BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS",
    "JOB_STATEMENT_TIMEOUT_SECONDS",
    "KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS",
    "DATABASE_JIT_ABOVE_COST",
    "DATABASE_KEEPALIVE_IDLE_SECONDS",
    "DATABASE_KEEPALIVE_INTERVAL_SECONDS",
    "DATABASE_KEEPALIVE_COUNT",
    "DATABASE_TCP_USER_TIMEOUT_SECONDS",
    "ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "REPORT_SMALL_CELL",
    "REPORT_REACHED_DAYS",
    "REPORT_TREND_MONTHS",
    "REPORT_REFRESH_ON_READ",
    "EXPORT_RECIPIENT_KEYS",
)
REQUIRED_SETTINGS = ()
# Encryption at rest (returnees/core/encryption.py): "k2=<base64 key>,k1=<base64 key>", the first
# seals and every one opens; the blind index of phones and documents has its own key. Unset here,
# the embedded default makes its own in instance/encryption-keys.json; production refuses to
# start without them.
ENCRYPTION_KEYS = None
BLIND_INDEX_KEY = None
# False stores personal data unsealed: only for the benches' comparison runs, refused unless
# RETURNEES_ENV=test.
ENCRYPTION_ENABLED = True
# When true, the app refuses to start without Twilio's credentials and a sender.
MESSAGING_REQUIRES_TWILIO = False

# Request rate limits (Flask-Limiter), counted in memory here, in Redis in production
# (RATELIMIT_STORAGE_URI=redis://host:6379/0, shared by every web process). The API: per token
# and per client address; Twilio's webhooks: only requests whose signature fails, per address,
# so that Twilio's own bursts of status callbacks are never refused.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_KEY_PREFIX = "returnees"
# A counter that cannot be reached (Redis down) lets requests through and logs it, rather than
# turning every API call and webhook into an error.
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_API_PER_TOKEN = "600 per minute"
RATELIMIT_API_PER_ADDRESS = "1200 per minute"
RATELIMIT_WEBHOOK_FORGED = "20 per minute"

# Argon2id cost of password hashes (argon2-cffi's recommended defaults).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536
ARGON2_PARALLELISM = 4

# Messaging. Without TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN the simulated gateway is used.
MESSAGE_VALIDITY_SECONDS = 4 * 60 * 60
TWILIO_TIMEOUT_SECONDS = 10
PROGRAMME_PHONE = "1500"
# The phone simulator page (/simulator/), only ever shown with the simulated gateway.
SIMULATOR_ENABLED = True
# Words no message may contain: a gang member or an abusive relative may read the phone.
# A trailing "-" also refuses every word that starts so ("deport-": deportado, deportation).
MESSAGE_FORBIDDEN_WORDS = (
    "deport-",
    "migra-",
    "inmigra-",
    "emigra-",
    "pandill-",
    "mara",
    "maras",
    "marero-",
    "violen-",
    "amenaz-",
    "denunci-",
    "trata",
    "refugi-",
    "asil-",
    "extorsi-",
    "immigra-",
    "gang-",
    "violence",
    "violent",
    "threat-",
    "traffick-",
    "refuge-",
    "asylum",
    "extortion",
)

# Background jobs: a run of a periodic job that works in batches (queueing due check-ins,
# sending messages) takes batch after batch until nothing is left or this many seconds have
# passed; shorter than their 15-second interval, so that runs never pile up.
JOB_BUDGET_SECONDS = 10
# Due check-ins queued, and messages sent, per batch (each batch one transaction).
CHECK_IN_BATCH_SIZE = 500
SEND_BATCH_SIZE = 100
# Sends a worker has in flight at once: Twilio takes 150-300 ms a call, so one at a time is 3-6
# messages a second. Every worker's together must stay under the Twilio account's concurrency
# limit (past it Twilio answers 429, and those messages wait for their backoff).
SEND_CONCURRENCY = 8

# Recorded voice prompts (messaging/prompts.py), uploaded by admins on the templates page: WAV
# or MP3 (told by their content), at most this many bytes and seconds long. Kept where
# VOICE_PROMPT_STORAGE says: "disk", in VOICE_PROMPT_DIR ({instance_path} is instance/); or
# "s3", in the bucket VOICE_PROMPT_S3_BUCKET under VOICE_PROMPT_S3_PREFIX, at
# VOICE_PROMPT_S3_ENDPOINT_URL for a store other than AWS (MinIO, Ceph...), with the credentials
# boto3 finds (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment...).
VOICE_PROMPT_STORAGE = "disk"
VOICE_PROMPT_DIR = "{instance_path}/voice-prompts"
VOICE_PROMPT_S3_BUCKET = ""
VOICE_PROMPT_S3_PREFIX = "voice-prompts/"
VOICE_PROMPT_S3_ENDPOINT_URL = ""
VOICE_PROMPT_S3_REGION = ""
VOICE_PROMPT_MAX_BYTES = 5 * 1024 * 1024
VOICE_PROMPT_MAX_SECONDS = 60
# Twilio fetches a prompt at a URL signed with VOICE_PROMPT_URL_KEY (unset: a key derived from
# SECRET_KEY for this use alone) that works this many seconds after the call asked for it.
VOICE_PROMPT_URL_SECONDS = 15 * 60
VOICE_PROMPT_URL_KEY = None

# Follow-ups: a step already past when an arrival is registered is still sent within this many
# hours of its due time, and marked missed after.
FOLLOW_UP_GRACE_HOURS = 72
# Check-ins go out only inside this window of the returnee's local time (hour from, hour to);
# in the environment, "GT=8-19,HN=8-19,SV=8-19" (a country left out keeps 8-19).
SENDING_WINDOW = {"GT": (8, 19), "HN": (8, 19), "SV": (8, 19)}
# A reply containing one of these phrases opens an urgent task at once; in the environment, one
# comma-separated list that replaces this one.
DANGER_WORDS = (
    "auxilio",
    "ayuda urgente",
    "me amenazan",
    "me quieren matar",
    "peligro",
    "help me",
    "danger",
)
# No reply this many hours after a check-in was confirmed sent: one reminder; as long again
# after the reminder: unanswered, and a call task; three unanswered in a row: a visit task.
REPLY_WAIT_HOURS = 48

# An urgent case sends a discreet SMS to the first on the on-call rota of the person's region;
# when the rota reaches nobody, to this number (a supervisor's or the programme's duty phone).
ON_CALL_FALLBACK_PHONE = ""
# Nobody acknowledged an urgent case this many minutes after its last alert: the next on the
# rota is alerted, and after the rota the country's supervisors.
URGENT_ACK_MINUTES = 15
# On PostgreSQL a reply, or an urgent alert to send, wakes the worker at once (LISTEN/NOTIFY);
# the periodic jobs stay as the safety net. False: the worker only polls.
WORKER_WAKE_ON_NOTIFY = True

# The text of messages older than this is erased by the retention job, this many messages of
# each direction a batch; who, when, which template and what the answer meant are kept.
MESSAGE_RETENTION_DAYS = 730
MESSAGE_RETENTION_BATCH_SIZE = 1000

# A person whose last case closed this many years ago, with no case open and no arrival since,
# is erased by the case-retention job (as an approved erasure would), this many people a batch.
CASE_RETENTION_YEARS = 5
CASE_RETENTION_BATCH_SIZE = 100

# Recognising people who came back (people/matching.py scores each earlier record in bits):
# the desk and a passenger list's import are shown those scoring MATCH_SHOW_WEIGHT or more,
# best first, at most MATCH_SHOWN_AT_MOST (the nightly search for people registered twice weighs
# its pairs with the same score: DUPLICATE_WEIGHT below).
MATCH_SHOW_WEIGHT = 16.0
MATCH_SHOWN_AT_MOST = 5

# A desk reaches the people it registered for this many days after their arrival (a child in
# custody until the handover); the office that follows them up keeps them after.
RECEPTION_SCOPE_DAYS = 7

# A supervisor or social worker who opens a record outside their scope, giving a reason, reaches
# that person for this many hours (the opening is written to the audit trail, flagged there,
# and shown to the supervisors of the person's country on their home page).
BREAK_GLASS_HOURS = 24

# People registered twice: the nightly search proposes to the country's supervisors each pair
# of records whose score, in the desk's bits (people/matching.py), is at least this much: higher
# than MATCH_SHOW_WEIGHT, as no one stands at a desk to tell. A same name, birth date and sex
# weigh about 32; with only one of two family names written, 23; twins (another given name), 19;
# the same name and date with another DPI, 21. It leaves out the people of a phone or of a
# written name that more than DUPLICATE_BLOCK_LIMIT people share (a shelter's phone). A merge can
# be undone by a supervisor for this many days.
DUPLICATE_WEIGHT = 22
DUPLICATE_BLOCK_LIMIT = 50
MERGE_UNDO_DAYS = 30

# Referrals: a task in the queue when one is not accepted this many days after it was made, or
# not attended this many days after it was made; the check-in asking "were you able to go?" is
# sent this many days after the acceptance.
REFERRAL_ACCEPT_DAYS = 7
REFERRAL_ATTEND_DAYS = 30
ATTENDANCE_CHECK_IN_DAYS = 7

# The reintegration survey (returnees/surveys): a wave is opened, with a social worker's task to
# take it by phone, on each of these days after a person's latest arrival while their case is
# open; a day passed by more than SURVEY_WAVE_WINDOW_DAYS opens nothing (a survey at day 30
# asked at day 120 would measure something else). The items safe to ask by SMS take a check-in
# answer given since the arrival and within SURVEY_PREFILL_DAYS.
SURVEY_WAVE_DAYS = (30, 180)
SURVEY_WAVE_WINDOW_DAYS = 30
SURVEY_PREFILL_DAYS = 30

# The Strict-Transport-Security header; empty: none (the embedded default serves plain HTTP).
STRICT_TRANSPORT_SECURITY = ""

# Outcome reports (returnees/reports; the README defines each figure). A count under
# REPORT_SMALL_CELL is shown as "<5". "Reached" is an answer within REPORT_REACHED_DAYS of the
# arrival; "in school at day N" reads the latest school answer between the two days given.
REPORT_SMALL_CELL = 5
REPORT_REACHED_DAYS = 7
REPORT_SCHOOL_WINDOWS = {30: (15, 45), 90: (60, 120), 180: (150, 210)}
REPORT_TREND_MONTHS = 12
# Each arrival's figures are kept in a table (reports.facts): the people whose figures changed
# are worked out again by a job every minute, and before a report when no more than
# REPORT_REFRESH_ON_READ of them wait (0: never before a report, the job alone).
REPORT_REFRESH_ON_READ = 500
# Pseudonymised exports: each recipient (a donor, a researcher) and the key of its pseudonyms,
# "ministry-gt=<base64 key>,research-x=<base64 key>" (`flask --app wsgi keys new` makes a key).
# A recipient's files join among themselves by pseudonym; two recipients' files do not.
EXPORT_RECIPIENT_KEYS = ""
# Rows a sheet of an XLSX export holds, its header row included: past it the export goes on in
# a further sheet ("arrivals 2", ...). 1,048,576 is the most a sheet can hold in Excel and
# LibreOffice; the tests set a small number to reach the same code with a few rows.
XLSX_SHEET_ROWS = 1_048_576
