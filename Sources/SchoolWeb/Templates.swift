/// The school's pages as swift-mustache templates. Each page extends `school` (the header,
/// the menu and the logout button), which extends the shared `layout` of ``WebPages``. Values
/// are HTML-escaped by `{{…}}`; only the charts, SVG that ``WebCharts`` builds with every text
/// escaped, go in unescaped (`{{{chart}}}`).
enum Templates {
    static let all: [String: String] = [
        "school": school, "login": login, "vandaag": today, "notities": notes, "notitie": note, "notitie-formulier": noteForm,
        "afspraken": agreements, "advies": advice, "fout": failure, "conflicten": conflicts, "wissen": erase, "trends": trends, "trends-indeling": trendsMapping,
    ]

    static let school = """
        {{<layout}}
        {{$title}}{{page.title}} – kcsync {{page.school}}{{/title}}
        {{$head}}<script src="/live.js" defer></script>{{/head}}
        {{$header}}
        {{#page}}
        <header class="kop"><h1>kcsync · school {{school}}</h1>
        <p>Ingelogd als {{account}}.</p>
        <form class="inline" method="post" action="/uitloggen"><input type="hidden" name="token" value="{{token}}"><button class="tweede" type="submit">Uitloggen</button></form></header>
        <nav class="hoofd" aria-label="Hoofdmenu"><ul>
        {{#menu}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/menu}}
        </ul></nav>
        {{/page}}
        {{/header}}
        {{$main}}{{/main}}
        {{/layout}}
        """

    static let login = """
        {{<layout}}
        {{$title}}Inloggen – kcsync{{/title}}
        {{$header}}<header class="kop"><h1>kcsync · de pagina's van uw school</h1></header>{{/header}}
        {{$main}}
        <section><h2>Inloggen</h2>
        {{#name}}
        <p>Deze inloglink werkt één keer en is tien minuten geldig.</p>
        <form method="post" action="/login">
        <input type="hidden" name="code" value="{{code}}"><input type="hidden" name="token" value="{{token}}">
        <p><button type="submit" id="inloggen">Inloggen als {{name}}</button></p></form>
        {{/name}}
        {{^name}}
        {{#expired}}<p class="melding" role="alert">Deze inloglink is verlopen of al gebruikt.</p>{{/expired}}
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        {{#accounts}}
        <form method="post" action="/login/wachtwoord">
        <input type="hidden" name="token" value="{{token}}">
        <p><label for="naam">Naam</label><br><input id="naam" name="naam" autocomplete="username" required></p>
        <p><label for="wachtwoord">Wachtwoord</label><br><input id="wachtwoord" name="wachtwoord" type="password" autocomplete="current-password" required></p>
        <p><button type="submit" id="inloggen-wachtwoord">Inloggen</button></p></form>
        <p class="uitleg">Geen account? De ICT'er van de school maakt er een met <code>kcsync users add NAAM</code>.</p>
        {{/accounts}}
        {{^accounts}}
        <p>U logt in met een inloglink. Maak er een op de computer van deze replica met:</p>
        <p><code>kcsync open</code></p>
        <p class="uitleg">De link werkt één keer en tien minuten lang.</p>
        {{/accounts}}
        {{/name}}
        </section>
        {{/main}}
        {{/layout}}
        """

    static let today = """
        {{<school}}
        {{$main}}
        <h2>Vandaag, {{date}}</h2>
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <div data-live>
        <section aria-labelledby="kop-afspraken"><h2 id="kop-afspraken">Afspraken deze week en te laat</h2>
        {{#hasAgreements}}<ul class="lijst">{{#agreements}}<li>{{#overdue}}<span class="te-laat">Te laat:</span> {{/overdue}}<strong>{{title}}</strong> · {{owner}} · {{due}} · {{status}}</li>{{/agreements}}</ul>{{/hasAgreements}}
        {{^agreements}}<p>Geen afspraken die deze week aflopen of te laat zijn.</p>{{/agreements}}
        <p><a href="/afspraken">Alle afspraken</a></p></section>
        <section aria-labelledby="kop-advies"><h2 id="kop-advies">Trendadvies zonder reactie</h2>
        {{#hasAdvice}}<ul class="lijst">{{#advice}}<li><strong>{{signal}}</strong> · {{period}} · van {{author}} · <a href="/advies#advies-{{id}}">Reageren</a></li>{{/advice}}</ul>{{/hasAdvice}}
        {{^advice}}<p>Op elk trendadvies is gereageerd.</p>{{/advice}}</section>
        <section aria-labelledby="kop-conflicten"><h2 id="kop-conflicten">Open conflicten</h2>
        {{#hasConflicts}}<ul class="lijst">{{#conflicts}}<li>{{title}}: veld {{field}}</li>{{/conflicts}}</ul>
        <p><a href="/conflicten">Conflicten oplossen</a></p>{{/hasConflicts}}
        {{^conflicts}}<p>Geen open conflicten.</p>{{/conflicts}}</section>
        <section aria-labelledby="kop-verbindingen"><h2 id="kop-verbindingen">Verbindingen</h2>
        {{#hasLinks}}<table><thead><tr><th scope="col">Met</th><th scope="col">Toestand</th><th scope="col">Laatst gesynchroniseerd</th><th scope="col">Bijzonderheden</th></tr></thead><tbody>
        {{#links}}<tr><td>{{name}}</td><td>{{state}}</td><td>{{lastSync}}</td><td>{{problem}}</td></tr>{{/links}}
        </tbody></table>{{/hasLinks}}
        {{^links}}<p>Deze replica is niet met het bestuur of met andere replica's verbonden.</p>{{/links}}
        {{#pending}}<p>{{pending}} wijzigingen voor het bestuur wachten nog op verzending.</p>{{/pending}}
        {{#hasRefusals}}<h3>Geweigerd</h3><p class="uitleg">De rest wordt gewoon uitgewisseld.</p>
        <ul class="lijst">{{#refusals}}<li>{{message}} <strong>Wat te doen:</strong> {{action}}</li>{{/refusals}}</ul>{{/hasRefusals}}
        </section>
        <section aria-labelledby="kop-notities"><h2 id="kop-notities">Nieuwste notities</h2>
        {{#hasNotes}}<ul class="lijst">{{#notes}}<li><a href="/notities/{{id}}">{{title}}</a> · {{role}} · {{author}}</li>{{/notes}}</ul>{{/hasNotes}}
        {{^notes}}<p>Nog geen notities.</p>{{/notes}}
        <p><a class="knop" href="/notities/nieuw">Nieuwe notitie</a></p></section>
        </div>
        {{/main}}
        {{/school}}
        """

    static let notes = """
        {{<school}}
        {{$main}}
        <h2>Notities{{#roleLabel}} · {{roleLabel}}{{/roleLabel}}</h2>
        <nav aria-label="Rol"><ul class="filters">{{#roles}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/roles}}</ul></nav>
        <section><form method="get" action="/notities" class="filters" role="search">
        {{#role}}<input type="hidden" name="rol" value="{{role}}">{{/role}}
        <div><label for="zoek">Zoeken</label><input type="search" id="zoek" name="zoek" value="{{query}}"></div>
        <div><label for="periode">Periode</label><select id="periode" name="periode"><option value="">alle</option>{{#periods}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/periods}}</select></div>
        <div><label for="vakgebied">Vakgebied</label><select id="vakgebied" name="vakgebied"><option value="">alle</option>{{#areas}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/areas}}</select></div>
        <div><label for="categorie">Categorie</label><select id="categorie" name="categorie"><option value="">alle</option>{{#categories}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/categories}}</select></div>
        <div><label for="tag">Label</label><input type="text" id="tag" name="tag" value="{{tag}}"></div>
        <div><button type="submit">Toon</button></div>
        </form></section>
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        <p><a class="knop" href="/notities/nieuw{{#role}}?rol={{role}}{{/role}}">Nieuwe notitie</a></p>
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <section data-live aria-label="Gevonden notities">
        <p>{{count}} {{#one}}notitie{{/one}}{{^one}}notities{{/one}}.</p>
        {{#hasNotes}}<ul class="lijst">{{#notes}}<li><a href="/notities/{{id}}">{{title}}</a>
        <br><small>{{role}} · {{category}}{{#period}} · {{period}}{{/period}}{{#area}} · {{area}}{{/area}} · {{author}}</small>
        {{#shared}}<span class="label gedeeld">gedeeld met bestuur</span>{{/shared}}{{#conflict}}<span class="label conflict">conflict</span>{{/conflict}}
        {{#tags}}<span class="label">{{.}}</span>{{/tags}}</li>{{/notes}}</ul>{{/hasNotes}}
        </section>
        {{/main}}
        {{/school}}
        """

    static let note = """
        {{<school}}
        {{$main}}
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <article data-live>
        {{#note}}
        <h2>{{title}}</h2>
        <p>{{role}} · {{category}} · {{author}}{{#period}} · {{period}}{{/period}}{{#area}} · {{area}}{{/area}}{{#meeting}} · bespreking {{meeting}}{{/meeting}}</p>
        {{#subject}}<p>Over: {{subject}}{{#subjectRef}} ({{subjectRef}}){{/subjectRef}}</p>{{/subject}}
        {{#hasTags}}<p>{{#tags}}<span class="label">{{.}}</span>{{/tags}}</p>{{/hasTags}}
        {{#conflict}}<p class="label conflict">Conflict in: {{conflict}}</p>{{/conflict}}
        <section class="tekst">{{body}}</section>
        <section aria-labelledby="kop-delen"><h3 id="kop-delen">Delen met het bestuur</h3>
        {{#shared}}<p>Deze notitie is gedeeld met het bestuur; wijzigingen gaan mee.</p>
        <form method="post" action="/notities/{{id}}/niet-delen"><input type="hidden" name="token" value="{{token}}"><button class="tweede" type="submit">Niet meer delen</button></form>{{/shared}}
        {{^shared}}{{#refusal}}<p>Deze notitie kan niet worden gedeeld: {{refusal}}</p>{{/refusal}}
        {{^refusal}}<form method="post" action="/notities/{{id}}/delen"><input type="hidden" name="token" value="{{token}}"><button type="submit">Delen met het bestuur</button></form>{{/refusal}}{{/shared}}
        </section>
        <p><a class="knop" href="/notities/{{id}}/bewerken">Bewerken</a> <a href="/notities/{{id}}/wissen">Wissen (AVG)</a> <a href="/notities">Terug naar de notities</a></p>
        {{/note}}
        </article>
        {{/main}}
        {{/school}}
        """

    static let noteForm = """
        {{<school}}
        {{$main}}
        <h2>{{heading}}</h2>
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        {{#theirs}}<section><h3>Wat er intussen is opgeslagen</h3><p class="tekst">{{theirs}}</p></section>{{/theirs}}
        <section><form method="post" action="{{action}}">
        <input type="hidden" name="token" value="{{token}}">
        {{#editing}}<input type="hidden" name="basis" value="{{base}}">{{/editing}}
        <label for="titel">Titel</label><input type="text" id="titel" name="titel" value="{{title}}" required>
        <label for="rol">Rol</label><select id="rol" name="rol">{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/roles}}</select>
        <label for="categorie">Categorie</label><select id="categorie" name="categorie">{{#categories}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/categories}}</select>
        <label for="onderwerp">Over</label><select id="onderwerp" name="onderwerp"><option value="">(kies: zonder keuze wordt de notitie niet gedeeld)</option>{{#subjects}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/subjects}}</select>
        <label for="vakgebied">Vakgebied</label><select id="vakgebied" name="vakgebied"><option value="">geen</option>{{#areas}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/areas}}</select>
        <label for="periode">Periode</label><input type="text" id="periode" name="periode" value="{{period}}" placeholder="2025-2026 M" aria-describedby="periode-uitleg"><small id="periode-uitleg" class="uitleg">Schooljaar en M (midden) of E (eind).</small>
        <label for="tekst">Tekst</label><textarea id="tekst" name="tekst">{{body}}</textarea>
        {{^editing}}<label for="labels">Labels</label><input type="text" id="labels" name="labels" value="{{tags}}" aria-describedby="labels-uitleg"><small id="labels-uitleg" class="uitleg">Gescheiden door komma's.</small>{{/editing}}
        <p><button type="submit" id="opslaan">Opslaan</button> <a href="{{cancel}}">Annuleren</a></p>
        </form></section>
        {{/main}}
        {{/school}}
        """

    static let agreements = """
        {{<school}}
        {{$main}}
        <h2>Afspraken</h2>
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <section data-live>
        {{#hasAgreements}}<table><thead><tr><th scope="col">Wat</th><th scope="col">Wie</th><th scope="col">Wanneer</th><th scope="col">Status</th><th scope="col">Herkomst</th></tr></thead><tbody>
        {{#agreements}}<tr><td>{{title}}</td><td>{{owner}}</td><td>{{#overdue}}<span class="te-laat">te laat:</span> {{/overdue}}{{due}}</td>
        <td><form method="post" action="/afspraken/{{id}}" class="inline"><input type="hidden" name="token" value="{{token}}">
        <label class="overslaan" for="status-{{id}}">Status van {{title}}</label><select id="status-{{id}}" name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
        <button type="submit" class="tweede" aria-label="Status van {{title}} opslaan">Opslaan</button></form></td><td>{{origin}}</td></tr>{{/agreements}}
        </tbody></table>{{/hasAgreements}}
        {{^agreements}}<p>Nog geen afspraken.</p>{{/agreements}}
        </section>
        {{/main}}
        {{/school}}
        """

    static let advice = """
        {{<school}}
        {{$main}}
        <h2>Trendadvies van het bestuur</h2>
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        {{^advice}}<p>Het bestuur heeft nog geen trendadvies gegeven.</p>{{/advice}}
        {{#advice}}
        <section id="advies-{{id}}" aria-labelledby="kop-{{id}}"><h3 id="kop-{{id}}">{{signal}}</h3>
        <p>{{period}} · {{area}} · van {{author}}</p>
        {{#interpretation}}<p><strong>Duiding:</strong> {{interpretation}}</p>{{/interpretation}}
        <p class="tekst">{{text}}</p>
        {{#answered}}<p class="gelukt">Uw reactie: {{answered}}{{#comment}} – {{comment}}{{/comment}}</p>{{/answered}}
        <form method="post" action="/advies/{{id}}">
        <input type="hidden" name="token" value="{{token}}">
        <fieldset><legend>Reactie</legend>
        {{#reactions}}<label><input type="radio" name="reactie" value="{{value}}"{{#checked}} checked{{/checked}} required> {{value}}</label>{{/reactions}}
        </fieldset>
        <label for="toelichting-{{id}}">Toelichting</label><input type="text" id="toelichting-{{id}}" name="toelichting">
        <label for="afspraken-{{id}}">Afspraken bij overgenomen (één per regel; pas ze gerust aan)</label>
        <textarea id="afspraken-{{id}}" name="afspraken">{{suggested}}</textarea>
        <label for="eigenaar-{{id}}">Wie voert ze uit</label><input type="text" id="eigenaar-{{id}}" name="eigenaar" value="{{owner}}">
        <label for="datum-{{id}}">Klaar op</label><input type="date" id="datum-{{id}}" name="datum" value="{{due}}">
        <p><button type="submit">Reactie opslaan</button></p>
        </form></section>
        {{/advice}}
        {{/main}}
        {{/school}}
        """

    static let failure = """
        {{<school}}
        {{$main}}
        <section><h2>{{heading}}</h2><p class="melding" role="alert">{{problem}}</p><p><a href="/">Naar Vandaag</a></p></section>
        {{/main}}
        {{/school}}
        """

    static let conflicts = """
        {{<school}}
        {{$main}}
        <h2>Conflicten</h2>
        <p class="uitleg">Twee replica's schreven tegelijk iets anders in hetzelfde veld. Kies de juiste waarde: die geldt daarna op elke replica.</p>
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <div data-live>
        {{^conflicts}}<p>Geen open conflicten.</p>{{/conflicts}}
        {{#conflicts}}
        <section aria-labelledby="conflict-{{key}}"><h3 id="conflict-{{key}}">{{kind}} <a href="{{href}}">{{title}}</a> · veld {{field}}</h3>
        <table><thead><tr><th scope="col">Waarde</th><th scope="col">Door</th><th scope="col">Op</th><th scope="col">Tijd</th><th scope="col"><span class="overslaan">Kiezen</span></th></tr></thead><tbody>
        {{#sides}}<tr><td>{{value}}{{#shown}} <span class="label">nu getoond</span>{{/shown}}</td><td>{{author}}</td><td>{{replica}}</td><td>{{at}}</td>
        <td>{{#choosable}}<form method="post" action="/conflicten"><input type="hidden" name="token" value="{{token}}"><input type="hidden" name="record" value="{{record}}"><input type="hidden" name="type" value="{{type}}"><input type="hidden" name="veld" value="{{field}}"><input type="hidden" name="keuze" value="{{index}}"><input type="hidden" name="waarde" value="{{value}}"><button type="submit" aria-label="Kies {{value}}">Kies deze</button></form>{{/choosable}}</td></tr>{{/sides}}
        </tbody></table></section>
        {{/conflicts}}
        </div>
        {{/main}}
        {{/school}}
        """

    static let erase = """
        {{<school}}
        {{$main}}
        <h2>Wissen (AVG): {{title}}</h2>
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        <section><p><strong>Wissen is definitief.</strong> De inhoud van deze notitie verdwijnt van deze replica, van elke andere replica van de school
        en, als ze gedeeld is, ook bij het bestuur. Alleen dat er iets gewist is, wanneer en waarom, blijft in het logboek van deze replica.</p>
        <form method="post" action="/notities/{{id}}/wissen"><input type="hidden" name="token" value="{{token}}">
        <label for="reden">Reden (bijvoorbeeld: verzoek ouders, bewaartermijn verlopen)</label><input type="text" id="reden" name="reden" required maxlength="500">
        <p><button type="submit" id="wissen">Definitief wissen</button> <a href="/notities/{{id}}">Niet wissen</a></p></form></section>
        {{/main}}
        {{/school}}
        """

    static let trends = """
        {{<school}}
        {{$main}}
        <h2>Trends</h2>
        {{#notice}}<p class="gelukt" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<div class="melding" role="alert"><p>{{problem}}</p><ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul></div>{{/problem}}
        <section aria-labelledby="kop-inlezen"><h3 id="kop-inlezen">Cijfers van de leerteams inlezen</h3>
        <form method="post" action="/trends" enctype="multipart/form-data">
        <input type="hidden" name="token" value="{{token}}">
        <label for="bestand">Bestand: de CSV van kcsync, of een export van het leerlingvolgsysteem (CSV, XLSX of ODS; per leerling of per groep)</label>
        <input type="file" id="bestand" name="bestand" accept=".csv,.xlsx,.ods,text/csv" required>
        <label><input type="checkbox" name="delen" value="ja" checked> Delen met het bestuur (zonder n; cijfers onder 10 leerlingen worden afgeschermd)</label>
        <p><button type="submit" id="inlezen">Inlezen</button></p>
        </form>
        <p class="uitleg">Kolommen: vakgebied, periode, groep, maat, waarde, leerlingen en eventueel ambitie, signaleringswaarde, landelijk gemiddelde, duiding en acties (zie <code>kcsync trend import --help</code>).</p>
        </section>
        <p class="uitleg" id="live-status" aria-live="polite"></p>
        <div data-live>
        <section aria-labelledby="kop-inspectie"><h3 id="kop-inspectie">Zoals de inspectie oordeelt</h3>
        {{> inspectie}}
        {{#thresholdSource}}<p class="uitleg">De signaleringswaarde 1S/2F komt uit {{thresholdSource}}; die voor 1F is 85% voor elke school.</p>{{/thresholdSource}}
        </section>
        <section aria-labelledby="kop-weergave"><h3 id="kop-weergave">Weergaven</h3>
        {{> weergave}}
        </section>
        <h3>Eigen analyse per vak, groep en periode</h3>
        <p class="uitleg">Dit is de analyse van de school zelf; de inspectie oordeelt niet per vak of per jaar, maar over de drie vakken samen en drie jaar (hierboven).</p>
        {{^hasSubjects}}<p>Nog geen trendcijfers.</p>{{/hasSubjects}}
        {{#subjects}}
        <section aria-label="{{name}}"><h3>{{name}}</h3>
        <table><thead><tr><th scope="col">Groep</th><th scope="col">Maat</th>{{#periods}}<th scope="col">{{.}}</th>{{/periods}}<th scope="col">Ambitie</th><th scope="col">Norm</th><th scope="col">Verloop</th><th scope="col">Signalen</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{group}}</td><td>{{metric}}</td>{{#cells}}<td>{{display}}{{#small}} <small>(n &lt; 10)</small>{{/small}}</td>{{/cells}}<td>{{ambition}}</td><td>{{floor}}</td><td>{{{chart}}}{{#comparison}}<br><small>{{comparison}}</small>{{/comparison}}</td>
        <td>{{#signals}}<span class="label conflict">{{.}}</span> {{/signals}}</td></tr>
        {{#interpretation}}<tr><td></td><td colspan="99"><small>Duiding: {{interpretation}}</small></td></tr>{{/interpretation}}{{/rows}}
        </tbody></table></section>
        {{/subjects}}
        <p class="uitleg">In de grafiek: stippellijn blauw de ambitie, rood de norm; grijs de spreiding bij andere scholen van het bestuur (alleen als minstens drie scholen dat cijfer deelden). Een cijfer over minder dan 10 leerlingen ziet alleen uw school; het telt niet mee in de signalen.</p>
        </div>
        {{/main}}
        {{/school}}
        """

    static let trendsMapping = """
        {{<school}}
        {{$main}}
        <h2>Welke kolom is wat?</h2>
        <p class="uitleg">Dit bestand komt uit een leerlingvolgsysteem dat kcsync nog niet kent. Geef één keer aan wat elke kolom is; kcsync onthoudt het voor dit soort bestand. Van de leerlingrijen worden alleen groepscijfers gemaakt: geen leerling wordt bewaard.</p>
        {{#problem}}<p class="melding" role="alert">{{problem}}</p>{{/problem}}
        <form method="post" action="/trends" enctype="multipart/form-data">
        <input type="hidden" name="token" value="{{token}}">
        <table><caption>Kolommen</caption><thead><tr><th scope="col">Kolom</th><th scope="col">Voorbeeld</th><th scope="col">Is</th></tr></thead><tbody>
        {{#columns}}<tr><td>{{name}}</td><td>{{sample}}</td><td><label class="overslaan" for="kolom-{{index}}">Wat is kolom {{name}}</label>
        <select id="kolom-{{index}}" name="kolom[]">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select></td></tr>{{/columns}}
        </tbody></table>
        <label for="vakgebied">Vakgebied van het hele bestand</label>
        <select id="vakgebied" name="vakgebied">{{#areas}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/areas}}</select>
        <label for="schooljaar">Schooljaar van het hele bestand (als geen kolom het zegt, bijvoorbeeld 2025-2026)</label>
        <input type="text" id="schooljaar" name="schooljaar" value="{{schoolYear}}">
        <label for="bestand">Kies het bestand opnieuw (de browser onthoudt het niet)</label>
        <input type="file" id="bestand" name="bestand" accept=".csv,.xlsx,.ods,text/csv" required>
        <label><input type="checkbox" name="delen" value="ja"{{#share}} checked{{/share}}> Delen met het bestuur (zonder n; cijfers onder 10 leerlingen worden afgeschermd)</label>
        <p><button type="submit" name="actie" value="voorbeeld" class="tweede" id="voorbeeld">Voorbeeld bijwerken</button>
        <button type="submit" name="actie" value="inlezen" id="inlezen-export">Inlezen</button></p>
        </form>
        <section aria-labelledby="kop-voorbeeld"><h3 id="kop-voorbeeld">Voorbeeld: wat kcsync schrijft</h3>
        {{#hasFigures}}<p>{{#pupilRows}}{{pupilRows}} leerlingrijen worden {{/pupilRows}}deze groepscijfers:</p><ul>{{#figures}}<li>{{text}}</li>{{/figures}}</ul>{{/hasFigures}}
        {{^hasFigures}}<p>Nog geen groepscijfers met deze indeling.</p>{{/hasFigures}}
        </section>
        {{/main}}
        {{/school}}
        """
}
