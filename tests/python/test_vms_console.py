"""The web console under the QEMU driver (issue 16), in headless Chromium:
a machine created through the official Lighthouse SDK shows, on its panel,
the SSH endpoint it is reached at, its disk and its process, and the serial
console tails the guest's boot as it happens (the tiny image prints its
ready line); a reboot from the console is a new boot the panel counts. A
screenshot of the panel goes to docs/ (shown in the README)."""
import pathlib
import tempfile

import pytest

from conftest import Lighthouse
from harness import ROOT, wait_until
from test_console import browser, cell, chromedriver, click_row  # noqa: F401 (fixtures)
from vms import BOOT_LIMIT, LIGHTHOUSE_IMAGE, machine, qemu_server, stop_vms


@pytest.fixture
def work():
    path = pathlib.Path(tempfile.mkdtemp(prefix="stratus-vms-console-"))
    yield path
    stop_vms(path)


def field(browser, name):
    """A line of the machine's panel (None while the panel is being redrawn)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        found = browser.find_elements(By.CSS_SELECTOR, f'#detail-machine dd[data-field="{name}"]')
        return found[0].text if found else None
    except StaleElementReferenceException:
        return None


def test_a_machines_ssh_disk_and_serial_console_are_on_its_panel(browser, work):  # noqa: F811
    from selenium.webdriver.common.by import By
    server = qemu_server(work, [LIGHTHOUSE_IMAGE])
    try:
        lh = Lighthouse(server)
        browser.get(f"http://{server.endpoint}/_stratus/console")
        iid = lh.create(blueprint=LIGHTHOUSE_IMAGE, bundle="bundle_starter_01")[0]
        wait_until(lambda: cell(browser, iid, "engine-state") == "PENDING", what="the new machine in the fleet")
        wait_until(lambda: click_row(browser, iid), what="a click on the row")
        # The serial console tails the boot while the instance is still PENDING.
        serial = browser.find_element(By.ID, "detail-console")
        wait_until(lambda: serial.is_displayed() and "TINYIMG-RCS start" in serial.text,
                   timeout=BOOT_LIMIT, interval=0.5, what="the guest's first line on the serial console")
        wait_until(lambda: "TINYIMG-READY" in serial.text, timeout=BOOT_LIMIT, interval=0.5,
                   what="the guest's ready line on the serial console")
        lh.settled(iid, timeout=BOOT_LIMIT)
        wait_until(lambda: cell(browser, iid, "engine-state") == "RUNNING", what="RUNNING on the page")
        vm = machine(server, iid)
        wait_until(lambda: field(browser, "ssh") == f"ssh -p {vm['ssh']['port']} root@{vm['ssh']['host']}",
                   what="the SSH endpoint on the panel")
        wait_until(lambda: (field(browser, "disk") or "").startswith(vm["disk"] + " (")
                   and field(browser, "process") == str(vm["pid"]), what="the disk and process on the panel")
        # A reboot from the console is one more boot, counted on the panel.
        wait_until(lambda: field(browser, "boots") == "1", what="the first boot on the panel")
        browser.find_element(By.CSS_SELECTOR, '#actions button[data-action="reboot"]').click()
        wait_until(lambda: "RebootInstances accepted" in browser.find_element(By.ID, "action-result").text,
                   what="the reboot to be accepted")
        lh.settled(iid, timeout=BOOT_LIMIT)
        wait_until(lambda: field(browser, "boots") == "2", what="the second boot on the panel")
        browser.execute_script("document.getElementById('machine-title').scrollIntoView()")
        browser.save_screenshot(str(ROOT / "docs" / "console-machine.png"))
    finally:
        server.stop()
