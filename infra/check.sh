#!/usr/bin/env bash
# Checks the SAM template with three linters, each installed on first use into
# its own virtualenv under .venv-tools/ (their pinned dependencies clash):
#   cfn-lint                 CloudFormation schema and best-practice rules
#   sam validate --lint      the SAM transform plus cfn-lint on its output
#   checkov                  security and compliance policies
# Exits non-zero on any finding. The findings SIM accepts are suppressed in
# the template itself, next to the resource they concern, each with its
# reason (Metadata: cfn-lint / checkov), never here: a new finding fails.
#
#   infra/check.sh            # all three
#   infra/check.sh cfn-lint   # just one (cfn-lint, sam, checkov)
set -euo pipefail
cd "$(dirname "$0")/.."
template=infra/template.yaml
tools=.venv-tools

# venv NAME PACKAGE: make .venv-tools/NAME with PACKAGE installed, once.
venv() {
  local name=$1 package=$2
  if [ ! -x "$tools/$name/bin/python" ] || [ ! -f "$tools/$name/.installed" ]; then
    echo "==> installing $package into $tools/$name (first use)"
    python3 -m venv "$tools/$name"
    "$tools/$name/bin/pip" install --quiet --disable-pip-version-check "$package"
    touch "$tools/$name/.installed"
  fi
}

run_cfn_lint() {
  venv cfn-lint cfn-lint
  echo "==> cfn-lint $template"
  "$tools/cfn-lint/bin/cfn-lint" "$template"
}

run_sam() {
  venv sam aws-sam-cli
  echo "==> sam validate --lint -t $template"
  # Offline and without credentials: validation needs a region only.
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-2}" \
    "$tools/sam/bin/sam" validate --lint -t "$template"
}

run_checkov() {
  venv checkov checkov
  echo "==> checkov -f $template"
  # --quiet prints failed checks only; the exit code is non-zero on any.
  "$tools/checkov/bin/checkov" --config-file infra/checkov.yaml -f "$template" --quiet --compact --skip-download
}

status=0
for tool in "${@:-cfn-lint sam checkov}"; do
  for t in $tool; do
    case $t in
      cfn-lint) run_cfn_lint || status=1 ;;
      sam) run_sam || status=1 ;;
      checkov) run_checkov || status=1 ;;
      *) echo "unknown check: $t (cfn-lint, sam, checkov)" >&2; exit 2 ;;
    esac
  done
done
if [ $status -ne 0 ]; then
  echo "infra/check.sh: findings above" >&2
fi
exit $status
