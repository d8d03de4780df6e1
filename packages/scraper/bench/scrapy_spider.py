"""Baseline for the crawler benchmark: Scrapy fetching the same local docs site.

It does what a crawler must do and nothing more: obey robots.txt, follow every in-scope
`a[href]`, and fetch each URL once. No extraction, no storage, so the comparison with our
crawler (which also converts every page to markdown and writes it) is generous to Scrapy.

Run by bench/run.mjs:
    scrapy runspider bench/scrapy_spider.py -a start_url=http://127.0.0.1:PORT/ \
        -a out=stats.json -s CONCURRENT_REQUESTS=8 -s CONCURRENT_REQUESTS_PER_DOMAIN=8
"""

import json
import time
from urllib.parse import urldefrag, urlparse

import scrapy
from scrapy.http import HtmlResponse


class DocsSiteSpider(scrapy.Spider):
    name = "docs-site"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "USER_AGENT": "scrapy-bench (+https://scrapy.org)",
    }

    def __init__(self, start_url, out=None, exclude="", max_pages="0", **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start_url]
        self.scope = urlparse(start_url)
        self.out = out
        self.exclude = [e for e in exclude.split(",") if e]
        self.max_pages = int(max_pages)
        self.pages = 0
        # Scrapy's dupefilter would drop repeats too, but only after building a Request and
        # running it through every middleware; a page here links ~250 URLs (the sidebar), so
        # skipping known URLs first is what a Scrapy user would write for a site like this.
        self.seen = set()
        self.html_bytes = 0
        self.started = time.monotonic()

    def in_scope(self, url):
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or parsed.netloc != self.scope.netloc:
            return False
        if not parsed.path.startswith(self.scope.path):
            return False
        return not any(e in parsed.path for e in self.exclude)

    def parse(self, response):
        self.pages += 1
        if not isinstance(response, HtmlResponse):
            return
        self.html_bytes += len(response.body)
        if self.max_pages and self.pages >= self.max_pages:
            return
        for href in response.css("a::attr(href)").getall():
            url = urldefrag(response.urljoin(href))[0]
            if url not in self.seen and self.in_scope(url):
                self.seen.add(url)
                yield scrapy.Request(url, callback=self.parse)

    def closed(self, reason):
        if not self.out:
            return
        stats = self.crawler.stats.get_stats()
        with open(self.out, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "reason": reason,
                    "pages": self.pages,
                    "htmlBytes": self.html_bytes,
                    "responses": stats.get("downloader/response_count", 0),
                    "byStatus": {
                        k.rsplit("/", 1)[-1]: v
                        for k, v in stats.items()
                        if k.startswith("downloader/response_status_count/")
                    },
                    "robotsForbidden": stats.get("robotstxt/forbidden", 0),
                    "seconds": time.monotonic() - self.started,
                },
                f,
            )
