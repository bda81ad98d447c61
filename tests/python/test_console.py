"""The web console (issue 16), in headless Chromium driven by Selenium:
the fleet lists instances created through the official SDK, with the
vendor's state beside the engine's; a reboot made through the SDK shows
REBOOTING and then RUNNING on the open page without a reload; a fault rule
saved in the console makes the next SDK call fail with the chosen code; the
admin token is required when one is set. Screenshots of the page go to
docs/ (shown in the README). Chromium and ChromeDriver come from
scripts/browser-env.sh (Debian's packages)."""
import json
import pathlib
import subprocess
import sys
import tempfile

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from conftest import CENTOS, UBUNTU22, Lighthouse
from harness import ROOT, Server, wait_until

TOKEN = "stratus-console-token-0001"


@pytest.fixture(scope="module")
def chromedriver():
    done = subprocess.run([str(ROOT / "scripts" / "browser-env.sh")], capture_output=True, text=True, timeout=900)
    if done.returncode == 77:
        print(f"test_console: {done.stderr.strip()}", file=sys.stderr)
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def browser(chromedriver):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,900", f"--user-data-dir={tempfile.mkdtemp(prefix='stratus-chromium-')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(chromedriver), options=options)
    yield driver
    driver.quit()


def cell(browser, iid, cls):
    """A cell of the instance's row (None while the row is being redrawn)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        found = browser.find_elements(By.CSS_SELECTOR, f'tr[data-id="{iid}"] td.{cls}')
        return found[0].text if found else None
    except StaleElementReferenceException:
        return None


def click_row(browser, iid):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{iid}"]').click()
        return True
    except StaleElementReferenceException:
        return False


def test_the_fleet_is_live_and_a_console_fault_reaches_the_sdk(browser):
    from selenium.webdriver.common.by import By
    server = Server(speed=2000, admin_token=TOKEN)
    try:
        lh = Lighthouse(server)
        iid = lh.running()[0]
        browser.get(f"http://{server.endpoint}/_stratus/console?access_token={TOKEN}")
        wait_until(lambda: cell(browser, iid, "engine-state") == "RUNNING", what="the fleet to list the instance")
        assert cell(browser, iid, "vendor-state") == "RUNNING"
        counts = browser.find_element(By.ID, "counts").text
        assert "lighthouse RUNNING 1" in counts, counts
        wait_until(lambda: browser.find_element(By.ID, "live").text == "live", what="the event stream to open")
        # Manual mode: the reboot stays REBOOTING until released.
        server.admin("/_stratus/speed", "PUT", {"manual": True})
        lh.call("RebootInstances", {"InstanceIds": [iid]})
        wait_until(lambda: cell(browser, iid, "engine-state") == "REBOOTING", what="REBOOTING without a reload")
        docs = ROOT / "docs"
        browser.save_screenshot(str(docs / "console-fleet.png"))
        wait_until(lambda: click_row(browser, iid), what="a click on the row")
        wait_until(lambda: "RebootInstances" in browser.find_element(By.ID, "detail-ops").text,
                   what="the instance's operations")
        browser.save_screenshot(str(docs / "console-instance.png"))
        # Released from the console, this one transition ends.
        browser.find_element(By.ID, "release-one").click()
        wait_until(lambda: cell(browser, iid, "engine-state") == "RUNNING", what="RUNNING without a reload")
        # The timeline: accepted and finished, with the request id the SDK reads.
        request = lh.instance(iid)["LatestOperationRequestId"]
        wait_until(lambda: any(line.startswith("Reboot RebootInstances Success: accepted ") and ", finished " in line
                               and line.endswith(f"request {request}")
                               for line in browser.find_element(By.ID, "detail-ops").text.splitlines()),
                   what="the reboot's accepted and finished times on the timeline")
        server.admin("/_stratus/speed", "PUT", {"manual": False})
        # A fault rule saved in the console.
        rules = [{"product": "lighthouse", "action": "DescribeRegions", "error": {"code": "InternalError"},
                  "message": "injected from the console"}]
        area = browser.find_element(By.ID, "faults")
        area.clear()
        area.send_keys(json.dumps(rules))
        browser.find_element(By.ID, "save-faults").click()
        wait_until(lambda: browser.find_element(By.ID, "status").text == "rules saved", what="the rules to save")
        with pytest.raises(TencentCloudSDKException) as refused:
            lh.sdk.call_json("DescribeRegions", {})
        assert refused.value.code == "InternalError"
    finally:
        server.stop()


def test_the_console_needs_the_admin_token(browser):
    from selenium.webdriver.common.by import By
    server = Server(admin_token=TOKEN)
    try:
        browser.get(f"http://{server.endpoint}/_stratus/console")
        assert "admin API needs" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        server.stop()


def test_a_reset_from_the_console_is_seen_through_the_sdk_and_refusals_speak_the_vendor(browser):
    from selenium.webdriver.common.by import By
    server = Server(speed=2000)
    try:
        lh = Lighthouse(server)
        iid = lh.running()[0]
        assert lh.instance(iid)["BlueprintId"] == CENTOS
        other = UBUNTU22
        browser.get(f"http://{server.endpoint}/_stratus/console")
        wait_until(lambda: cell(browser, iid, "engine-state") == "RUNNING", what="the fleet")
        wait_until(lambda: click_row(browser, iid), what="a click on the row")
        browser.find_element(By.ID, "reset-image").send_keys(other)
        browser.find_element(By.ID, "reset-password").send_keys("Console1Reset!")
        browser.find_element(By.CSS_SELECTOR, '#actions button[data-action="reset"]').click()
        wait_until(lambda: "ResetInstance accepted" in browser.find_element(By.ID, "action-result").text,
                   what="the reset to be accepted")
        done = lh.settled(iid)
        assert (done["BlueprintId"], done["LatestOperation"], done["LatestOperationState"]) == \
            (other, "ResetInstance", "SUCCESS"), done
        # The panel shows the instance as Lighthouse's DescribeInstances does.
        wait_until(lambda: f'"BlueprintId": "{other}"' in browser.find_element(By.ID, "detail-vendor").text,
                   what="the vendor's view with the new blueprint")
        # Starting a running instance: refused, in Lighthouse's words.
        browser.find_element(By.CSS_SELECTOR, '#actions button[data-action="start"]').click()
        wait_until(lambda: "UnsupportedOperation.InvalidInstanceState" in
                   browser.find_element(By.ID, "action-result").text, what="Lighthouse's refusal")
    finally:
        server.stop()
