#!/usr/bin/env bash
# A real, small OpenStack on loopback for the openstack provider's tests: Keystone, Placement,
# Glance, Neutron (ML2 with a test driver that binds ports, no agents) and Nova (fake virt
# driver), over PostgreSQL, RabbitMQ and memcached. Each API is a uWSGI app on 127.0.0.1;
# everything lives under tests/support/.run/openstack/ and is created fresh by each start.
#
# Blazar (the reservation service: leases of flavor:instance reservations) runs beside them, with
# the compute host registered as reservable.
#
# Usage: tests/support/openstack.sh install|start|stop|env
#   install  apt-get installs postgresql, rabbitmq-server, memcached; pip-installs the
#            services into .venv-openstack/ (their own venv: their pins clash with other
#            helpers' packages); ~2-4 min the first time, nothing after
#   start    installs if needed, starts everything (idempotent), bootstraps identity and
#            the cloud the tests expect (see openstack/bootstrap.py); ~75 s
#   stop     stops what start started, by the process groups it recorded (idempotent)
#   env      prints the export lines the tests read (GGPLAN_TEST_OPENSTACK_*)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=$ROOT/.venv-openstack
SUPPORT=$ROOT/tests/support/openstack
RUN=$ROOT/tests/support/.run/openstack
PG_BIN=/usr/lib/postgresql/15/bin
START_TIMEOUT=${GGPLAN_OPENSTACK_START_TIMEOUT:-180}
# The release line the notes were measured with (2026.1: keystone 30, nova 34...).
PACKAGES=('keystone==30.*' 'openstack-placement==16.*' 'glance==33.*' 'neutron==29.*'
  'nova==34.*' 'blazar==18.*' 'uwsgi==2.0.*' 'openstacksdk' 'pymemcache' 'psycopg2-binary')

log() { echo "openstack.sh: $*" >&2; }

install() {
  local missing=()
  for pkg in postgresql rabbitmq-server memcached; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "apt-get installing ${missing[*]}"
    apt-get update -qq
    # The distribution's own services are not wanted: policy-rc.d keeps them from starting.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  local stamp=$VENV/.ggplan-installed
  local wanted
  wanted=$(printf '%s\n' "${PACKAGES[@]}" | cat - "$SUPPORT"/ggplan_ml2/{pyproject.toml,ggplan_ml2.py} | sha256sum | cut -c1-16)
  if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
    return
  fi
  log "pip installing the OpenStack services into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SUPPORT/ggplan_ml2"
  rm -rf "$SUPPORT"/ggplan_ml2/{build,*.egg-info}
  # Neutron's migration d553edeb540f is MySQL-only (ALTER TABLE ... CONVERT TO CHARACTER SET):
  # make it a no-op on other databases.
  local migration
  migration=$(find "$VENV/lib" -path '*alembic_migrations/versions/*/d553edeb540f_*.py' | head -n1)
  if [[ -n $migration ]] && ! grep -q ggplan "$migration"; then
    sed -i 's/^def upgrade():$/def upgrade():\n    if op.get_bind().dialect.name != "mysql":  # ggplan: MySQL-only\n        return/' "$migration"
  fi
  echo "$wanted" >"$stamp"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# spawn NAME COMMAND...: runs COMMAND in its own session (so it and its children form one
# process group, stopped together) with output to RUN/log/NAME.log.
spawn() {
  local name=$1
  shift
  setsid "$@" >"$RUN/log/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name"
}

wait_port() {
  local name=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [[ -f $RUN/pids/$name ]] && ! kill -0 "$(cat "$RUN/pids/$name")" 2>/dev/null; then
      log "$name exited; the end of its log:"
      tail -n 40 "$RUN/log/$name.log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not listen on 127.0.0.1:$port within ${START_TIMEOUT}s"
      tail -n 40 "$RUN/log/$name.log" >&2
      exit 1
    fi
    sleep 0.3
  done
}

# wait_http NAME URL: until the URL answers at all (any HTTP status).
wait_http() {
  local name=$1 url=$2 deadline=$((SECONDS + START_TIMEOUT))
  until curl -s -o /dev/null "$url"; do
    if ! kill -0 "$(cat "$RUN/pids/$name")" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$name is not answering at $url; the end of its log:"
      tail -n 40 "$RUN/log/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

# uwsgi_app NAME PORT MODULE ENV...: serves a WSGI application on 127.0.0.1:PORT.
uwsgi_app() {
  local name=$1 port=$2 module=$3
  shift 3
  local envs=()
  for e in "$@"; do envs+=(--env "$e"); done
  # Connection: close: uWSGI's http-socket resets kept-alive connections.
  spawn "$name" "$VENV/bin/uwsgi" --http-socket "127.0.0.1:$port" --module "$module" \
    --virtualenv "$VENV" --master --processes 2 --threads 1 --lazy-apps --die-on-term \
    --need-app --buffer-size 65535 --http-auto-chunked --http-raw-body --http-chunked-input \
    --add-header "Connection: close" --hook-master-start "unix_signal:15 gracefully_kill_them_all" \
    "${envs[@]}"
}

running() {
  [[ -f $RUN/pids/keystone ]] && kill -0 "$(cat "$RUN/pids/keystone")" 2>/dev/null
}

write_configs() {
  # shellcheck disable=SC1091
  source "$RUN/ports.env"
  local db="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT"
  local rabbit="rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/"
  local keystone="http://127.0.0.1:$KEYSTONE_PORT"
  local memcache="127.0.0.1:$MEMCACHED_PORT"
  authtoken() {
    cat <<CONF
[keystone_authtoken]
www_authenticate_uri = $keystone
auth_url = $keystone
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASSWORD
CONF
  }
  service_auth() {
    cat <<CONF
[$1]
auth_type = password
auth_url = $keystone/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $SERVICE_PASSWORD
region_name = RegionOne
valid_interfaces = public
CONF
  }
  mkdir -p "$RUN"/{keystone,placement,glance/images,glance/staging,glance/tasks,neutron,nova/instances,blazar,locks}
  cat >"$RUN/keystone/keystone.conf" <<CONF
[DEFAULT]
use_stderr = true
[database]
connection = $db/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $RUN/keystone/fernet-keys
[fernet_receipts]
key_repository = $RUN/keystone/receipt-keys
[credential]
key_repository = $RUN/keystone/credential-keys
[cache]
enabled = true
backend = dogpile.cache.pymemcache
memcache_servers = $memcache
CONF
  cat >"$RUN/placement/placement.conf" <<CONF
[DEFAULT]
use_stderr = true
[placement_database]
connection = $db/placement
[api]
auth_strategy = keystone
$(authtoken placement)
CONF
  cp "$VENV/etc/glance/glance-api-paste.ini" "$RUN/glance/"
  cat >"$RUN/glance/glance-api.conf" <<CONF
[DEFAULT]
use_stderr = true
enabled_backends = file:file
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $RUN/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $RUN/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $RUN/glance/tasks
[database]
connection = $db/glance
[paste_deploy]
flavor = keystone
[oslo_concurrency]
lock_path = $RUN/locks
$(authtoken glance)
CONF
  cat >"$RUN/neutron/neutron.conf" <<CONF
[DEFAULT]
use_stderr = true
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $rabbit
api_paste_config = $VENV/etc/neutron/api-paste.ini
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false
[database]
connection = $db/neutron
[oslo_concurrency]
lock_path = $RUN/locks
$(authtoken neutron)
CONF
  cat >"$RUN/neutron/ml2_conf.ini" <<CONF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = ggplan_bind_all
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public,physnet1
[ml2_type_vxlan]
vni_ranges = 1:1000
[securitygroup]
firewall_driver = noop
CONF
  cp "$VENV/etc/nova/api-paste.ini" "$RUN/nova/"
  cat >"$RUN/nova/nova.conf" <<CONF
[DEFAULT]
use_stderr = true
host = ggplan-compute
my_ip = 127.0.0.1
transport_url = $rabbit
compute_driver = fake.FakeDriverWithoutFakeNodes
state_path = $RUN/nova
instances_path = $RUN/nova/instances
allow_resize_to_same_host = true
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
[api]
auth_strategy = keystone
[api_database]
connection = $db/nova_api
[database]
connection = $db/nova
[wsgi]
api_paste_config = $RUN/nova/api-paste.ini
[oslo_concurrency]
lock_path = $RUN/locks
[oslo_messaging_notifications]
driver = noop
[scheduler]
discover_hosts_in_cells_interval = -1
[conductor]
workers = 1
[glance]
region_name = RegionOne
$(authtoken nova)
$(service_auth placement)
$(service_auth neutron)
$(service_auth service_user)
send_service_user_token = true
CONF
  # Blazar reaches Keystone through its own os_auth_* settings (its service user acts on
  # trusts the API takes from each caller) and every other service through the catalog.
  cat >"$RUN/blazar/blazar.conf" <<CONF
[DEFAULT]
use_stderr = true
host = ggplan-blazar
transport_url = $rabbit
os_auth_protocol = http
os_auth_host = 127.0.0.1
os_auth_port = $KEYSTONE_PORT
os_auth_version = v3
os_admin_username = blazar
os_admin_password = $SERVICE_PASSWORD
os_admin_project_name = service
os_region_name = RegionOne
endpoint_type = public
[manager]
plugins = physical.host.plugin,flavor.instance.plugin
[nova]
endpoint_type = public
[neutron]
endpoint_type = public
[placement]
endpoint_type = public
[database]
connection = sqlite:///$RUN/blazar/blazar.sqlite
[oslo_concurrency]
lock_path = $RUN/locks
$(authtoken blazar)
CONF
}

start() {
  install
  if running; then
    return
  fi
  stop_all
  rm -rf "$RUN"
  # A start that fails half-way stops whatever it started.
  trap 'if (($? != 0)); then stop_all; fi' EXIT
  mkdir -p "$RUN/log" "$RUN/pids" "$RUN/pg" "$RUN/rabbit"
  local started=$SECONDS
  {
    for name in PG RABBIT RABBIT_DIST EPMD MEMCACHED KEYSTONE PLACEMENT GLANCE NEUTRON NOVA BLAZAR; do
      echo "${name}_PORT=$(free_port)"
    done
    echo "ADMIN_PASSWORD=admin-$RANDOM$RANDOM"
    echo "SERVICE_PASSWORD=service-$RANDOM$RANDOM"
    echo "USER_PASSWORD=user-$RANDOM$RANDOM"
  } >"$RUN/ports.env"
  write_configs

  # PostgreSQL refuses to run as root: its cluster belongs to the postgres user.
  chown postgres: "$RUN/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$RUN/pg/data" -A trust -U postgres >"$RUN/log/initdb.log"
  spawn postgres runuser -u postgres -- "$PG_BIN/postgres" -D "$RUN/pg/data" \
    -h 127.0.0.1 -p "$PG_PORT" -k "$RUN/pg" -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=300
  spawn epmd epmd -address 127.0.0.1 -port "$EPMD_PORT"
  wait_port epmd "$EPMD_PORT"
  echo "[]." >"$RUN/rabbit/enabled_plugins"
  spawn rabbitmq env HOME="$RUN/rabbit" ERL_EPMD_PORT="$EPMD_PORT" \
    RABBITMQ_NODENAME=ggplan@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$RUN/rabbit/mnesia" RABBITMQ_LOG_BASE="$RUN/rabbit/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RUN/rabbit/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$RUN/rabbit/rabbitmq" RABBITMQ_PID_FILE="$RUN/rabbit/pid" \
    /usr/lib/rabbitmq/bin/rabbitmq-server
  spawn memcached memcached -u memcache -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64
  wait_port postgres "$PG_PORT"
  for db in keystone placement glance neutron nova_api nova nova_cell0; do
    echo "CREATE DATABASE $db;"
  done | runuser -u postgres -- psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres >/dev/null

  local db="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT"
  local k="$RUN/keystone/keystone.conf" n="$RUN/nova/nova.conf"
  # The schema migrations are independent: run them side by side.
  (
    "$VENV/bin/keystone-manage" --config-file "$k" db_sync
    "$VENV/bin/keystone-manage" --config-file "$k" fernet_setup --keystone-user root --keystone-group root
    "$VENV/bin/keystone-manage" --config-file "$k" credential_setup --keystone-user root --keystone-group root
    "$VENV/bin/keystone-manage" --config-file "$k" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
      --bootstrap-admin-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
      --bootstrap-public-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
      --bootstrap-internal-url "http://127.0.0.1:$KEYSTONE_PORT/v3" --bootstrap-region-id RegionOne
  ) >"$RUN/log/keystone-manage.log" 2>&1 &
  local keystone_setup=$!
  "$VENV/bin/placement-manage" --config-file "$RUN/placement/placement.conf" db sync \
    >"$RUN/log/placement-manage.log" 2>&1 &
  local placement_setup=$!
  "$VENV/bin/glance-manage" --config-file "$RUN/glance/glance-api.conf" db_sync \
    >"$RUN/log/glance-manage.log" 2>&1 &
  local glance_setup=$!
  "$VENV/bin/neutron-db-manage" --config-file "$RUN/neutron/neutron.conf" \
    --config-file "$RUN/neutron/ml2_conf.ini" upgrade heads >"$RUN/log/neutron-db-manage.log" 2>&1 &
  local neutron_setup=$!
  (
    "$VENV/bin/nova-manage" --config-file "$n" api_db sync
    "$VENV/bin/nova-manage" --config-file "$n" cell_v2 map_cell0 --database_connection "$db/nova_cell0"
    "$VENV/bin/nova-manage" --config-file "$n" cell_v2 create_cell --name cell1
    "$VENV/bin/nova-manage" --config-file "$n" db sync
  ) >"$RUN/log/nova-manage.log" 2>&1 &
  local nova_setup=$!
  # Blazar is only ever run on MySQL upstream: its migrations and queries compare string ids
  # with integers, which PostgreSQL refuses and SQLite (its unit tests' database) accepts. It
  # gets an SQLite file, its schema created from the models and stamped as the newest migration
  # (the migrations themselves read tables back on a second connection).
  (
    "$VENV/bin/python" -c 'import sys, sqlalchemy
from blazar.db.sqlalchemy import models
models.mb.BlazarBase.metadata.create_all(sqlalchemy.create_engine(sys.argv[1]))' "sqlite:///$RUN/blazar/blazar.sqlite"
    "$VENV/bin/blazar-db-manage" --config-file "$RUN/blazar/blazar.conf" stamp head
  ) >"$RUN/log/blazar-db-manage.log" 2>&1 &
  local blazar_setup=$!
  wait_port rabbitmq "$RABBIT_PORT"
  for step in keystone placement glance neutron nova blazar; do
    local pid_var=${step}_setup
    if ! wait "${!pid_var}"; then
      log "setting up $step's database failed; the end of its log:"
      tail -n 40 "$RUN/log/$step"-*.log >&2
      exit 1
    fi
  done

  uwsgi_app keystone "$KEYSTONE_PORT" keystone.wsgi.api:application "OS_KEYSTONE_CONFIG_DIR=$RUN/keystone"
  wait_http keystone "http://127.0.0.1:$KEYSTONE_PORT/v3"
  "$VENV/bin/python" "$SUPPORT/bootstrap.py" identity "$RUN" >"$RUN/log/bootstrap-identity.log" 2>&1 || {
    log "identity bootstrap failed:"
    tail -n 40 "$RUN/log/bootstrap-identity.log" >&2
    exit 1
  }
  uwsgi_app placement "$PLACEMENT_PORT" placement.wsgi.api:application "OS_PLACEMENT_CONFIG_DIR=$RUN/placement"
  uwsgi_app glance "$GLANCE_PORT" glance.wsgi.api:application "OS_GLANCE_CONFIG_DIR=$RUN/glance"
  uwsgi_app neutron "$NEUTRON_PORT" neutron.wsgi.api:application "OS_NEUTRON_CONFIG_DIR=$RUN/neutron" \
    "OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini"
  uwsgi_app nova-api "$NOVA_PORT" nova.wsgi.osapi_compute:application "OS_NOVA_CONFIG_DIR=$RUN/nova"
  uwsgi_app blazar-api "$BLAZAR_PORT" blazar.wsgi.api:application "OS_BLAZAR_CONFIG_DIR=$RUN/blazar"
  spawn nova-conductor "$VENV/bin/nova-conductor" --config-file "$n"
  spawn blazar-manager "$VENV/bin/blazar-manager" --config-file "$RUN/blazar/blazar.conf"
  spawn nova-scheduler "$VENV/bin/nova-scheduler" --config-file "$n"
  wait_http placement "http://127.0.0.1:$PLACEMENT_PORT/"
  spawn nova-compute "$VENV/bin/nova-compute" --config-file "$n"
  wait_http glance "http://127.0.0.1:$GLANCE_PORT/"
  wait_http neutron "http://127.0.0.1:$NEUTRON_PORT/"
  wait_http nova-api "http://127.0.0.1:$NOVA_PORT/"
  wait_http blazar-api "http://127.0.0.1:$BLAZAR_PORT/"
  "$VENV/bin/python" "$SUPPORT/bootstrap.py" cloud "$RUN" >"$RUN/log/bootstrap-cloud.log" 2>&1 || {
    log "cloud bootstrap failed:"
    tail -n 40 "$RUN/log/bootstrap-cloud.log" >&2
    exit 1
  }
  # The compute host must be mapped to its cell before anything can be scheduled on it.
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$VENV/bin/nova-manage" --config-file "$n" cell_v2 discover_hosts --by-service >/dev/null 2>&1 &&
    "$VENV/bin/nova-manage" --config-file "$n" cell_v2 list_hosts 2>/dev/null | grep -q ggplan-compute; do
    if ((SECONDS >= deadline)); then
      log "the compute host was not mapped to its cell within ${START_TIMEOUT}s"
      tail -n 40 "$RUN/log/nova-compute.log" >&2
      exit 1
    fi
    sleep 1
  done
  "$VENV/bin/python" "$SUPPORT/bootstrap.py" reservation "$RUN" >"$RUN/log/bootstrap-reservation.log" 2>&1 || {
    log "reservation bootstrap failed:"
    tail -n 40 "$RUN/log/bootstrap-reservation.log" >&2
    exit 1
  }
  log "OpenStack is up on 127.0.0.1 after $((SECONDS - started)) s (logs in $RUN/log)"
}

# Stops every process group recorded, TERM first, KILL after a bounded wait.
stop_all() {
  [[ -d $RUN/pids ]] || return 0
  local pid
  for file in "$RUN"/pids/*; do
    [[ -f $file ]] || continue
    pid=$(cat "$file")
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for file in "$RUN"/pids/*; do
    [[ -f $file ]] || continue
    pid=$(cat "$file")
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$file"
  done
}

print_env() {
  echo "export GGPLAN_TEST_OPENSTACK_CLOUDS=$RUN/clouds.yaml"
  echo "export GGPLAN_TEST_OPENSTACK_RESERVATION=2b5ac8a0-7c5e-4a52-9a0e-6e4bb1a3c001"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop_all ;;
  env) print_env ;;
  *)
    echo "usage: $0 install|start|stop|env" >&2
    exit 2
    ;;
esac
