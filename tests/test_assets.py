"""Asset links (built once per process: admin_views.asset_url) are what url_for builds, wherever the app is mounted."""

from __future__ import annotations

from flask import url_for

from portal.models.enums import Role


def test_a_page_links_its_assets_as_url_for_builds_them_and_under_its_mount_point(app, client, auth):
    auth.as_role(Role.DIRECTOR)
    with app.test_request_context("/"):
        jquery = url_for("admin.static", filename="vendor/jquery.min.js", v="3.5.1")
        css = url_for("static", filename="css/portal.css")
    html = client.get("/admin/appeal/").get_data(as_text=True)
    assert f'src="{jquery}"' in html and f'href="{css}"' in html
    mounted = client.get("/admin/appeal/", environ_overrides={"SCRIPT_NAME": "/portal"}).get_data(as_text=True)
    assert f'src="/portal{jquery}"' in mounted and f'href="/portal{css}"' in mounted
    assert f'src="{jquery}"' not in mounted
