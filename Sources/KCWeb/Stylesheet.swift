extension WebPages {
    /// One stylesheet for the school's and the board's pages: readable, high contrast (WCAG AA
    /// for text), visible focus, printable without the navigation.
    public static let stylesheet = """
        :root{--blauw:#1f3a5f;--tekst:#1d2433;--zacht:#4a5261;--rand:#d5dae1;--vlak:#f6f7f9;--rood:#8a1c14;--groen:#17602b;--oranje:#7a4b00}
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--tekst);background:var(--vlak);line-height:1.45}
        a{color:var(--blauw)}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f2a900;outline-offset:2px}
        .overslaan{position:absolute;left:-999px}.overslaan:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
        header.kop{background:var(--blauw);color:#fff;padding:1rem 2rem}header.kop h1{margin:0 0 .3rem;font-size:1.5rem}
        header.kop p{margin:0}header.kop a{color:#fff}header.kop form{display:inline}
        nav.hoofd{background:#fff;border-bottom:1px solid var(--rand);padding:.5rem 2rem}
        nav.hoofd ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
        nav.hoofd a[aria-current=page]{font-weight:bold;text-decoration:none;border-bottom:3px solid var(--blauw)}
        main{padding:1rem 2rem;max-width:1200px}
        section{background:#fff;border-radius:8px;padding:1rem 1.5rem;margin:1rem 0;box-shadow:0 1px 2px #0002}
        h2{font-size:1.25rem;margin-top:0}h3{font-size:1.05rem}
        table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--rand);vertical-align:top}
        th{background:#eef1f5}
        label{display:block;font-weight:600;margin:.6rem 0 .2rem}
        input[type=text],input[type=search],input[type=date],select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #8a93a3;border-radius:4px;width:100%;max-width:40rem}
        textarea{min-height:10rem}
        button,.knop{font:inherit;background:var(--blauw);color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer;text-decoration:none;display:inline-block}
        button.tweede{background:#fff;color:var(--blauw);border:1px solid var(--blauw)}
        form.inline{display:inline}
        .filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}.filters label{margin:0}.filters select,.filters input{width:auto}
        .melding{border-left:4px solid var(--rood);background:#fde2e1;padding:.6rem 1rem;margin:1rem 0}
        .gelukt{border-left:4px solid var(--groen);background:#def5e3;padding:.6rem 1rem;margin:1rem 0}
        .uitleg{color:var(--zacht)}
        .te-laat{color:var(--rood);font-weight:bold}
        .label{display:inline-block;border-radius:4px;padding:0 .4rem;margin:0 .2rem .1rem 0;font-size:.85rem;background:#eef1f5}
        .label.gedeeld{background:#def5e3;color:var(--groen)}.label.conflict{background:#fff1d6;color:var(--oranje)}
        ul.lijst{list-style:none;padding:0;margin:0}ul.lijst li{padding:.5rem 0;border-bottom:1px solid var(--rand)}
        .tekst{white-space:pre-wrap}
        nav.keuze{margin:.5rem 0}nav.keuze a{margin-right:.6rem}nav.keuze a.actief{font-weight:bold;text-decoration:none;border-bottom:2px solid var(--blauw)}
        td.getal{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.onderdrukt{color:var(--zacht);font-style:italic;text-align:right}
        .label.dalend{background:#fde2e1;color:var(--rood)}.label.stijgend{background:#def5e3;color:var(--groen)}.label.onder{background:#fff1d6;color:var(--oranje)}
        .reactie-overgenomen{color:var(--groen);font-weight:bold}.reactie-gezien{color:var(--blauw)}.reactie-niet{color:var(--zacht)}
        article{border-left:4px solid var(--blauw);padding-left:1rem;margin:1rem 0}small{color:var(--zacht)}
        .legenda svg{vertical-align:middle}
        .breed{overflow-x:auto}
        @media print{nav.hoofd,.overslaan,form,button,.knop{display:none}body{background:#fff}section{box-shadow:none;border:1px solid #999}header.kop{background:#fff;color:#000}}
        """
}
