# Sourced by scripts/test.sh and benches/run.sh (with $root and $py set): installs the Python peers
# (moto, boto3, botocore, boto 2, requests) into $root/.venv and the AWS CLI v1 into
# $root/.venv-awscli, once; sets $venv and $cli_venv.
venv="$root/.venv"
cli_venv="$root/.venv-awscli"
stamp_want="moto==5.2.5 boto3==1.44.8 botocore==1.44.8 Flask==3.1.3 flask-cors==6.0.5 Werkzeug==3.1.9 boto==2.49.0 requests"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.phantom-stamp" 2>/dev/null)" != "$stamp_want" ]; then
  echo "== installing test peers into $venv"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check $stamp_want
  echo "$stamp_want" > "$venv/.phantom-stamp"
fi
cli_want="awscli==1.46.3"
if [ ! -x "$cli_venv/bin/aws" ] || [ "$(cat "$cli_venv/.phantom-stamp" 2>/dev/null)" != "$cli_want" ]; then
  echo "== installing the AWS CLI v1 into $cli_venv"
  rm -rf "$cli_venv"
  "$py" -m venv "$cli_venv"
  "$cli_venv/bin/pip" install -q --disable-pip-version-check "$cli_want"
  echo "$cli_want" > "$cli_venv/.phantom-stamp"
fi

