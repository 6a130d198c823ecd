"""Pages where the declaring patentee offers and withdraws priced technical services (issue 14).

Routes on the open-licence blueprint. Only the declaring organisation manages them (others get
404 where the declaration is not theirs to see, 403 where it is public); every change is a POST
with its CSRF token and one commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.i18n import t
from market.core.schemas import load
from market.deals.open_licence import declarations as services
from market.deals.open_licence import extras
from market.deals.open_licence.schemas import ServiceForm, service_form_data
from market.deals.open_licence.views import _declaration, bp
from market.deals.vocabulary import ServiceKind
from market.web.actions import run_action


def _managed(declaration_id: int):
    decl = _declaration(declaration_id)  # 404 unless the user may see it
    if not services.can_manage(current_user, decl):
        abort(403)
    return decl


def _page(decl, values: dict | None = None, errors: dict | None = None):
    return render_template("open_licence/services.html", decl=decl, patent=decl.patent,
                           offered=extras.offered_services(decl, withdrawn=True), kinds=list(ServiceKind),
                           values=values or {"kind": ServiceKind.SERVICE.value}, errors=errors or {},
                           open=decl.status in services.LIVE, service_label=extras.label), 422 if errors else 200


@bp.get("/open-licences/<int:declaration_id>/services")
@login_required
def services_page(declaration_id: int):
    return _page(_managed(declaration_id))


@bp.post("/open-licences/<int:declaration_id>/services")
@login_required
def offer_service(declaration_id: int):
    decl = _managed(declaration_id)
    values = service_form_data(request.form)
    data, errors = load(ServiceForm(), values)
    if not errors:
        done = run_action(lambda: extras.offer_service(current_user, decl, data), abort_on=(403,))
        if done.ok:
            flash(t("技术服务已发布；声明本身未作任何改动。", "Service offered; the declaration itself is unchanged."),
                  "success")
            return redirect(url_for("open_licence.services_page", declaration_id=decl.id))
        errors = done.field_errors("description")
    return _page(decl, values, errors)


@bp.post("/open-licences/<int:declaration_id>/services/<int:service_id>/withdraw")
@login_required
def withdraw_service(declaration_id: int, service_id: int):
    decl = _managed(declaration_id)
    done = run_action(lambda: extras.withdraw_service(current_user, decl, service_id), abort_on=(403, 404))
    if done.ok:
        flash(t("该服务已停止提供；已选择它的许可保留原内容和价格。",
                "The service is withdrawn; licences that chose it keep it as it was."), "success")
    else:
        flash(done.message, "error")
    return redirect(url_for("open_licence.services_page", declaration_id=decl.id))
