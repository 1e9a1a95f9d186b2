"""Photos with metadata for the attachment tests, and an independent reader
of what a stored photo still carries (Pillow, and pillow-heif for HEIC).

    media.py make DIR   writes the fixtures into DIR
    media.py probe FILE prints what Pillow reads from FILE, as JSON
"""
import io
import json
import sys

from PIL import Image, ExifTags
import pillow_heif

pillow_heif.register_heif_opener()

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (40.0, 42.0, 46.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (74.0, 0.0, 21.0),
}


def picture():
    # 64 wide, 32 high: the left half red, the right half blue, so that
    # turning it shows in which corner red ends up.
    im = Image.new("RGB", (64, 32), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 32, 32))
    return im


def exif(orientation):
    e = Image.Exif()
    e[ExifTags.Base.Orientation] = orientation
    e[ExifTags.Base.Make] = "FixtureCam"
    e[ExifTags.Base.Model] = "Model 7"
    e.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return e


def make(out):
    picture().save(f"{out}/rotated_gps.jpg", "JPEG", quality=95, exif=exif(6).tobytes())
    picture().save(f"{out}/upright_gps.jpg", "JPEG", quality=95, exif=exif(1).tobytes())
    png = Image.new("RGBA", (40, 20), (0, 128, 0, 255))
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Elm Street")
    png.save(f"{out}/text_chunk.png", "PNG", pnginfo=info, exif=exif(1).tobytes())
    picture().save(f"{out}/gps.heic", "HEIF", quality=90, exif=exif(1).tobytes())


def probe(path):
    im = Image.open(path)
    e = im.getexif()
    gps = dict(e.get_ifd(ExifTags.IFD.GPSInfo)) if e else {}
    rgb = im.convert("RGB")
    print(json.dumps({
        "format": im.format,
        "size": list(im.size),
        "exif_tags": sorted(int(k) for k in e.keys()) if e else [],
        "gps_tags": len(gps),
        "orientation": int(e.get(ExifTags.Base.Orientation, 1)) if e else 1,
        "text": {k: str(v) for k, v in im.info.items() if isinstance(v, str)},
        "top_left": list(rgb.getpixel((1, 1))),
        "top_right": list(rgb.getpixel((rgb.size[0] - 2, 1))),
        "bottom_left": list(rgb.getpixel((1, rgb.size[1] - 2))),
    }))


if __name__ == "__main__":
    {"make": make, "probe": probe}[sys.argv[1]](sys.argv[2])
